"""Which saves `make watch` reacts to, whether they need an apply, which tests they rerun, and
when it starts seeing them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harness import watch
from harness.deploy.stack import ServedStack
from harness.deploy.terraform import ROOT
from harness.watch import E2E, covering_tests, is_watched, needs_apply


@pytest.mark.parametrize(
    ("relative", "watched"),
    [
        ("definitions/notification.asl.json", True),
        ("lambdas/orders/validate_order.py", True),
        ("modules/table/main.tf", True),
        ("orders.tf", True),
        ("emulator_override.tf", False),  # the harness's own file, never the user's
        ("README.md", False),
        ("lambdas/orders/__pycache__/validate_order.cpython-311.pyc", False),
        ("definitions/.notification.asl.json.swp", False),
    ],
)
def test_what_the_watch_reacts_to(relative, watched):
    assert is_watched(ROOT / relative) is watched


def test_a_handler_under_hot_reload_needs_no_apply_but_a_definition_does():
    assert not needs_apply("lambdas/orders/charge_payment.py", hot_reload=True)
    assert needs_apply("lambdas/orders/charge_payment.py", hot_reload=False)
    assert needs_apply("definitions/order.asl.json", hot_reload=True)


@pytest.mark.parametrize(
    ("changed", "tests"),
    [
        (["definitions/notification.asl.json"], ["tests/e2e/test_notification.py"]),
        (["lambdas/orders/charge_payment.py", "orders.tf"], ["tests/e2e/test_order.py"]),
        (
            ["definitions/order.asl.json", "notification.tf"],
            ["tests/e2e/test_notification.py", "tests/e2e/test_order.py"],
        ),
        (["modules/table/main.tf"], [E2E]),
        (["main.tf", "definitions/order.asl.json"], [E2E]),
    ],
)
def test_a_save_reruns_the_tests_of_its_workflow(changed, tests):
    assert covering_tests(changed) == tests
    assert all((ROOT / path).exists() for path in covering_tests(changed)), "a test file the watch names is missing"


@pytest.mark.parametrize(
    ("tests", "workers"),
    [
        (["tests/e2e/test_order.py"], ["-n", "2"]),
        (["tests/e2e/test_notification.py", "tests/e2e/test_order.py"], ["-n", "2"]),
        ([E2E], []),  # other files' tests share fault rules and stock: one at a time
    ],
)
def test_a_workflow_s_tests_run_side_by_side_and_the_whole_suite_one_at_a_time(tests, workers):
    command = watch.pytest_command(Path("build/outputs.json"), tests)
    assert command[-len(tests) :] == tests
    assert command[-len(tests) - 2 : -len(tests)] == workers or (not workers and "-n" not in command)


def test_every_workflow_file_maps_to_its_tests():
    for path in sorted((ROOT / "definitions").glob("*.asl.json")):
        assert covering_tests([str(Path("definitions") / path.name)]) != [E2E], path.name


def test_a_save_made_as_the_watch_says_it_is_watching_is_seen(tmp_path, monkeypatch):
    """The "watching" line is printed once the OS's watches are in place, not before: a save made
    the moment it appears is the first change the watch reports."""
    for name in watch.WATCHED:
        (tmp_path / name).mkdir()
    served = ServedStack("embedded", "http://127.0.0.1:1", str(tmp_path), None, {}, "", hot_reload=True)
    monkeypatch.setattr(watch, "ROOT", tmp_path)
    monkeypatch.setattr(watch, "serving", lambda outputs: served)
    monkeypatch.setattr(ServedStack, "read", staticmethod(lambda outputs: served))
    reported: list[list[str]] = []

    def on_save(changed, *_):
        reported.append(changed)
        raise KeyboardInterrupt  # the first report ends the watch, as Ctrl-C would

    def say(text, **_):
        if "watching" in text:
            (tmp_path / "definitions" / "at-once.asl.json").write_text("{}")
            # A bound: should the save above be lost, this later one ends the watch.
            threading.Timer(5, (tmp_path / "definitions" / "later.asl.json").write_text, ["{}"]).start()

    monkeypatch.setattr(watch, "on_save", on_save)
    monkeypatch.setattr(watch, "print", say, raising=False)

    assert watch.main(["--outputs", str(tmp_path / "outputs.json")]) == 0
    assert reported == [["definitions/at-once.asl.json"]]
