"""harness/emulator/thread_reuse.py: a reused worker behaves as the thread it replaces."""

from __future__ import annotations

import contextvars
import threading

import pytest

from harness.emulator.thread_reuse import ReusedThread, ThreadingWithReusedThreads, Workers
from harness.observe.waiting import poll

BOUND = 10  # seconds any wait below may take before the test fails


@pytest.fixture
def workers(monkeypatch):
    from harness.emulator import thread_reuse

    fresh = Workers()
    monkeypatch.setattr(thread_reuse, "WORKERS", fresh)
    return fresh


def _wait_until_idle(workers: Workers, count: int) -> None:
    """A worker goes idle just after its target ends (join returns first)."""
    poll(
        lambda: workers.idle() >= count,
        timeout=BOUND,
        interval=0.005,
        describe=lambda: f"{workers.idle()} idle workers, expected {count}",
    )


def test_the_target_runs_with_its_arguments_and_join_waits_for_it(workers):
    results = []
    thread = ReusedThread(target=lambda a, b=0: results.append(a + b), args=(1,), kwargs={"b": 2}, daemon=True)
    assert not thread.is_alive()
    thread.start()
    thread.join(BOUND)
    assert results == [3] and not thread.is_alive()
    assert thread.ident is not None and thread.native_id is not None


def test_a_name_given_as_a_function_is_made_once_when_first_read(workers):
    made = []
    thread = ReusedThread(target=lambda: None, name=lambda: made.append(1) or "BranchWorker_$program")
    thread.start()
    thread.join(BOUND)
    assert made == []
    assert thread.name == thread.name == "BranchWorker_$program" and made == [1]
    assert ReusedThread(name="given").name == "given"
    assert ReusedThread().name.startswith("sfn-interpreter-")


def test_a_worker_that_finished_runs_the_next_target(workers):
    first = ReusedThread(target=lambda: None)
    first.start()
    first.join(BOUND)
    _wait_until_idle(workers, 1)
    second = ReusedThread(target=lambda: None)
    second.start()
    second.join(BOUND)
    assert workers.started == 1 and second.native_id == first.native_id


def test_targets_that_wait_for_each_other_each_get_a_worker(workers):
    # Every target blocks until all have started: a bounded pool would hang here.
    count = 5
    barrier = threading.Barrier(count, timeout=BOUND)
    threads = [ReusedThread(target=barrier.wait) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND)
    assert not any(thread.is_alive() for thread in threads) and not barrier.broken
    assert workers.started == count


def test_join_with_a_timeout_returns_while_the_target_still_runs(workers):
    release = threading.Event()
    thread = ReusedThread(target=release.wait, args=(BOUND,))
    thread.start()
    thread.join(timeout=0.01)
    assert thread.is_alive()
    release.set()
    thread.join(BOUND)
    assert not thread.is_alive()


def test_each_target_starts_with_fresh_context_variables(workers):
    variable = contextvars.ContextVar("variable", default="unset")
    seen = []
    for value in ("first", "second"):

        def target(value=value):
            seen.append(variable.get())
            variable.set(value)

        thread = ReusedThread(target=target)
        thread.start()
        thread.join(BOUND)
        _wait_until_idle(workers, 1)
    assert seen == ["unset", "unset"] and workers.started == 1


def test_an_exception_goes_to_threading_excepthook_and_the_worker_goes_on(workers, monkeypatch):
    reported = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_type))
    failing = ReusedThread(target=lambda: 1 / 0)
    failing.start()
    failing.join(BOUND)
    _wait_until_idle(workers, 1)
    after = ReusedThread(target=lambda: None)
    after.start()
    after.join(BOUND)
    assert reported == [ZeroDivisionError] and not after.is_alive() and workers.started == 1


def test_a_thread_starts_once_and_joins_only_once_started(workers):
    thread = ReusedThread(target=lambda: None)
    with pytest.raises(RuntimeError):
        thread.join()
    thread.start()
    with pytest.raises(RuntimeError):
        thread.start()
    thread.join(BOUND)


def test_idle_workers_beyond_the_limit_end(monkeypatch):
    from harness.emulator import thread_reuse

    workers = Workers(idle_kept=1)
    monkeypatch.setattr(thread_reuse, "WORKERS", workers)
    barrier = threading.Barrier(3, timeout=BOUND)
    threads = [ReusedThread(target=barrier.wait) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND)
    _wait_until_idle(workers, 1)
    assert workers.idle() == 1


def test_the_module_stand_in_gives_reused_threads_and_everything_else_of_threading():
    module = ThreadingWithReusedThreads()
    assert module.Thread is ReusedThread
    assert module.Event is threading.Event and module.Lock is threading.Lock
