"""What the programs behind the make targets share: a failure the user can act on (no
Terraform, no provider, an engine that is missing or not answering) is one line on stderr
and a non-zero exit; anything else is a bug, and keeps its traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from harness.deploy.terraform import TerraformError
from harness.engines import EngineUnavailable

KNOWN_FAILURES = (TerraformError, EngineUnavailable)


def run(main: Callable[[], int], name: str) -> int:
    # tftest logs each failed command, whole, to stderr (Python's last-resort handler); the
    # error raised carries the same output, and says first what it means.
    logging.getLogger("tftest").addHandler(logging.NullHandler())
    try:
        return main()
    except KNOWN_FAILURES as failure:
        print(f"{name}: {failure}", file=sys.stderr)
        return 1
