"""A stand-in for a module, put in its place inside one moto module."""

from __future__ import annotations

from types import ModuleType
from typing import Any


class ModuleStandIn:
    """Answers the names a subclass defines and hands every other one to `module`, so
    the moto module that uses it sees the real module apart from what is replaced."""

    module: ModuleType

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)
