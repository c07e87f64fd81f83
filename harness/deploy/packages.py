"""Lambda deployment packages, zipped by scripts/package_lambdas.py.

The script uses the standard library only, so `python3 scripts/package_lambdas.py`
(`make package`) runs without the virtualenv; the harness loads that same script
rather than keeping a zip writer of its own that could drift from it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def package_lambdas() -> ModuleType:
    """scripts/package_lambdas.py, imported in this interpreter."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import package_lambdas
    finally:
        sys.path.pop(0)
    return package_lambdas


def package_bytes(folder: Path) -> bytes:
    """The package of `folder` (its modules at the zip's root), as the script builds it."""
    with tempfile.TemporaryDirectory() as out:
        return package_lambdas().build(Path(folder), Path(out) / "package.zip").read_bytes()
