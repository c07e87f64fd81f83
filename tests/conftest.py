"""Session fixtures: one emulator and one deployed stack for the whole run."""

from __future__ import annotations

import uuid

import pytest

from harness.deploy import EmbeddedDeployer
from harness.emulator import EmbeddedEmulator
from harness.observe import Observer
from harness.stack import StackOutputs, stack_variables, variables_for_tests


@pytest.fixture(scope="session")
def variables() -> dict:
    """The root module's variables as the tests deploy them (tests/test.tfvars.json)."""
    return stack_variables(variables_for_tests())


@pytest.fixture(scope="session")
def emulator():
    with EmbeddedEmulator() as running:
        yield running


@pytest.fixture(scope="session")
def stack(emulator: EmbeddedEmulator, variables: dict) -> StackOutputs:
    return EmbeddedDeployer(emulator, variables).deploy()


@pytest.fixture(scope="session")
def observer(stack: StackOutputs) -> Observer:
    watcher = Observer(stack)
    watcher.subscribe_to_events()
    return watcher


@pytest.fixture
def faults(emulator: EmbeddedEmulator):
    """The emulator's fault injector, emptied after the test."""
    yield emulator.faults
    emulator.faults.clear()


@pytest.fixture
def recipient() -> dict:
    """A phone number, an email address and a notification id no other test uses."""
    digits = uuid.uuid4().int % 10**9
    return {
        "notification_id": f"n-{uuid.uuid4()}",
        "user_phone": f"+1415{digits:09d}"[:12],
        "user_email": f"user-{uuid.uuid4().hex[:12]}@example.com",
    }
