"""The notification requests `make bench` sends, one kind per delivery mode."""

from __future__ import annotations

from collections.abc import Callable

from harness.bench.measure import unique

MODES = {
    "text": {"user_phone": "+14155550100"},
    "mail": {"user_email": "bench@example.com"},
    "dual": {"user_phone": "+14155550100", "user_email": "bench@example.com"},
}


def notification(mode: str) -> Callable[[int], dict]:
    """A request builder for `mode`: each call is a new notification."""
    return lambda index: {
        "notification_id": unique(f"bench-{mode}"),
        "delivery_mode": mode,
        "message_content": "benchmark",
        **MODES[mode],
    }
