#!/usr/bin/env python3
"""Build the Lambda deployment packages Terraform deploys: one zip per folder of
lambdas/ that holds handlers (today lambdas/orders -> build/lambdas/orders.zip).

Reproducible: the same sources give the same bytes (sorted entries, fixed
timestamps and modes, no caches), so `source_code_hash` changes only when code
does and a second `terraform plan` reports no changes. Standard library only:
run it before `terraform plan`/`apply` as `python3 scripts/package_lambdas.py`
(`make package` does).

    python3 scripts/package_lambdas.py [--out DIR]    # default build/lambdas
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "lambdas"
PACKAGED = ["orders"]  # lambdas/baseline is seed 000's coordinator, deployed by the benchmark only
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--


def package_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts and not p.name.startswith("test_"))


def build(folder: Path, target: Path) -> Path:
    """Write folder's modules to target at the zip's root; rewrite only when the bytes change."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in package_files(folder):
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=FIXED_TIME)
            entry.external_attr = FILE_MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    if target.exists() and target.read_bytes() == partial.read_bytes():
        partial.unlink()  # unchanged: keep the old file and its mtime
    else:
        partial.replace(target)
    return target


def build_all(out: Path) -> list[Path]:
    return [build(SOURCES / name, out / f"{name}.zip") for name in PACKAGED]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lambdas")
    args = parser.parse_args(argv)
    for path in build_all(args.out.resolve()):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
