"""Every shell block of README.md and docs/*.md, run as copied against `make up` on a fresh
stack, in the order written: the docs cannot drift from what the commands do.

A block that cannot run here says why in the line above it, `<!-- not run: reason -->`
(it needs an AWS account, starts a server of its own, or is what CI runs). Each page's
blocks run in one bash process, so a variable one block sets is there for the next, as in
a reader's terminal; `set -euo pipefail` makes any failing command fail the page.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.deploy.terraform import ROOT
from harness.emulator.embedded import free_port
from harness.observe.waiting import poll
from tests.security.tools import tool

pytestmark = pytest.mark.e2e

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?P<lang>sh|bash)\n(?P<body>.*?)\n```", re.DOTALL)
NOT_RUN = re.compile(r"<!-- not run: (?P<reason>.+?) -->")
SERVE_WAIT = 600  # `make up` from nothing: about 80 s alone, minutes beside the rest of the suite


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    body: str
    not_run: str | None  # the reason given in the docs, or None

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in BLOCK.finditer(text):
        reason = NOT_RUN.search(match.group("before"))
        line = text.count("\n", 0, match.start("body"))
        found.append(Block(page, line, match.group("body"), reason.group("reason") if reason else None))
    return found


def runnable(page: Path) -> list[Block]:
    return [block for block in blocks(page) if block.not_run is None]


def test_every_block_that_does_not_run_says_why():
    """The exclusions are part of the docs, each with its reason: no block is skipped silently."""
    excluded = [block for page in PAGES for block in blocks(page) if block.not_run is not None]
    assert excluded and all(len(block.not_run) > 10 for block in excluded), [str(b) for b in excluded]
    assert sum(len(runnable(page)) for page in PAGES) >= 5


def test_a_block_is_found_with_its_exclusion(tmp_path):
    page = tmp_path / "page"
    page.write_text("Text.\n\n```sh\necho one\n```\n\n<!-- not run: needs an AWS account -->\n```bash\necho two\n```\n")
    assert [(b.body, b.not_run) for b in blocks(page)] == [("echo one", None), ("echo two", "needs an AWS account")]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A working copy a reader would have: the repository's files, with a build/ of its own."""
    where = tmp_path_factory.mktemp("checkout")
    for entry in ROOT.iterdir():
        if entry.name not in ("build", ".git"):
            (where / entry.name).symlink_to(entry)
    return where


@pytest.fixture(scope="module")
def served(checkout: Path):
    """`make up` as the docs start it, on a free port, until the module ends."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for inherited in ("MOTO_PORT", "HARNESS_EMULATOR_RUNNING"):
        env.pop(inherited, None)
    outputs = checkout / "build" / "outputs.json"
    log = checkout / "serve.log"  # read when it fails: a pipe nobody reads could also stall it
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.serve", "--port", str(free_port())],
        cwd=checkout,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        poll(
            outputs.exists,
            timeout=SERVE_WAIT,
            describe=lambda: (
                f"no {outputs}; server alive: {server.poll() is None}; it printed:\n{log.read_text()[-3000:]}"
            ),
        )
        stack = json.loads(outputs.read_text())
        # The aws-cli environment docs/local-endpoint.md exports for a reader.
        yield {
            **env,
            "PATH": f"{tool('AWSCLI_BIN').parent}{os.pathsep}{env['PATH']}",
            "AWS_ENDPOINT_URL": stack["endpoint_url"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": stack["region"],
        }
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=120)


@pytest.mark.timeout(SERVE_WAIT + 300)  # the wait for `make up`, then the page's commands
@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pages_commands_run_as_copied(page: Path, checkout: Path, served: dict):
    script = "set -euo pipefail\n" + "\n".join(f"# {block}\n{block.body}" for block in runnable(page))
    # In a session of its own: whatever a block leaves running goes with it.
    run = subprocess.Popen(
        ["bash", "-c", script],
        cwd=checkout,
        env=served,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = run.communicate(timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 0, f"{page.name} stopped with {run.returncode}:\n{stdout}\n{stderr}"
