"""Checkov over all the Terraform: no failed check, and every skip is inline with its reason."""

from __future__ import annotations

import json
import re
import subprocess

from tests.security.tools import ROOT, tool

# An inline skip: `# checkov:skip=CKV_AWS_285:why` (Checkov also accepts one without a reason; we do not).
SKIP = re.compile(r"checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")
IGNORED_DIRECTORIES = {".terraform", ".tools", ".venv", "node_modules", "build", ".git"}


def terraform_files() -> list:
    return sorted(p for p in ROOT.rglob("*.tf") if not IGNORED_DIRECTORIES & set(p.relative_to(ROOT).parts))


def test_checkov_finds_no_failed_check():
    checkov = tool("CHECKOV_BIN")
    # build/ holds deployments' working directories: links to the same module, and an
    # emulator override with test credentials that is never part of the product.
    run = subprocess.run(
        [
            str(checkov),
            "-d",
            ".",
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--skip-path",
            "build",
            "--skip-path",
            "node_modules",
            "-o",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout)
    reports = report if isinstance(report, list) else [report]
    [terraform] = [r for r in reports if r.get("check_type") == "terraform"]
    summary = terraform["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}): {c['check_name']}"
        for c in terraform["results"].get("failed_checks", [])
    ]
    assert summary["failed"] == 0 and run.returncode == 0, "\n".join(failed) or run.stderr
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 0 and summary["passed"] > 0, summary  # it really scanned the stack
    print(
        f"checkov {summary['checkov_version']}: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped (inline, with reasons), {summary['resource_count']} resources"
    )


def test_every_checkov_skip_is_inline_and_gives_its_reason():
    skips = []
    for path in terraform_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in SKIP.finditer(line):
                where = f"{path.relative_to(ROOT)}:{number}"
                reason = (match["reason"] or "").strip()
                assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", match["check"]), f"{where}: not a check id"
                assert len(reason.split()) >= 5, f"{where}: skip {match['check']} needs a reason of a sentence"
                skips.append(match["check"])
    assert skips, "no inline skips found: the scan of .tf files is broken"
    # No other place to skip checks from: no config file, no --skip-check in the Makefile
    assert not list(ROOT.glob(".checkov.y*ml")), "skips must be inline, next to the resource"
    assert "--skip-check" not in (ROOT / "Makefile").read_text()
