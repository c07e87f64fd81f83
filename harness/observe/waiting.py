"""Bounded polling: the only way the harness waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not hold in time; the message says what was seen last."""


def poll(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.05, describe: Callable[[], str] = lambda: ""
) -> T:
    """Call `probe` until it returns something truthy, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"condition not met within {timeout:.1f}s. {describe()}".rstrip())
        time.sleep(interval)
