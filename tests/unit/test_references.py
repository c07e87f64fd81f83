"""Comments and documents cite files of this repository only, so a reader of a
clone can open every one they name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TEXT = {".py", ".tf", ".md", ".sh", ".yaml", ".yml", ".toml", ".ini", ".txt", ".cfg", ""}
# An absolute path into one machine's own folders (under /home, /work, /Users...). The
# provider mirror's folder is a setting these machines document (TF_PROVIDER_MIRROR), not a citation.
OUTSIDE = re.compile(r"(?<![\w.~:/-])/(?:work|home|Users|root|mnt|srv|opt(?!/tf-plugins\b)|shared)/[\w./-]+")
MARKDOWN = re.compile(r"[\w./-]+\.md\b")


def tracked() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / name for name in listed.stdout.splitlines() if Path(name).suffix in TEXT and (ROOT / name).is_file()]


def test_no_file_cites_a_path_outside_the_repository():
    cited = {
        f"{path.relative_to(ROOT)}: {found}"
        for path in tracked()
        for found in OUTSIDE.findall(path.read_text(errors="replace"))
    }
    assert not cited, sorted(cited)


def test_every_markdown_file_a_file_names_is_in_the_repository():
    files = tracked()
    names = {path.name for path in files}
    missing = {
        f"{path.relative_to(ROOT)}: {found}"
        for path in files
        for found in MARKDOWN.findall(path.read_text(errors="replace"))
        if Path(found).name not in names
    }
    assert not missing, sorted(missing)
