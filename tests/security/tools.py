"""Where the test tools are (the security gate's, and the aws-cli the docs' commands run with): installed by `make tools` (which `make test`
runs), found through the variable the Makefile exports, or at the place the
Makefile installs them. Running pytest directly without them skips those tests,
saying how to install them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TOOLS = {
    # environment variable -> (default location, how to install)
    "CHECKOV_BIN": (
        ROOT / ".tools" / "checkov" / "bin" / "checkov",
        "make tools (Checkov 3.3.30 in its own virtualenv, from requirements-tools.txt)",
    ),
    "ASL_VALIDATOR_BIN": (
        ROOT / "node_modules" / ".bin" / "asl-validator",
        "make tools (npm ci: asl-validator from package-lock.json)",
    ),
    "AWSCLI_BIN": (
        ROOT / ".tools" / "awscli" / "bin" / "aws",
        "make tools (the aws-cli in its own virtualenv, from requirements-awscli.txt)",
    ),
}


def tool(variable: str) -> Path:
    """The tool's executable, or skip the test with how to install it."""
    default, install = TOOLS[variable]
    path = Path(os.environ.get(variable) or default)
    if not os.access(path, os.X_OK):
        if os.environ.get("SECURITY_GATE_REQUIRED") == "1":  # make test: a missing tool is a failure
            pytest.fail(f"{path} is missing; run: {install}")
        pytest.skip(f"{path} is missing; run: {install}")
    return path
