"""Threads for moto's Step Functions interpreter that are reused instead of started anew
(installed by acceleration_load.reuse_interpreter_threads).

The interpreter starts a thread for every execution, for the program inside it, for
every Task or Parallel state (to enforce TimeoutSeconds), for every Parallel branch and
Map iteration, and for every callback wait: about ten per `text` notification. Each
start costs an OS thread, a handshake in which Thread.start waits for the new thread
to run (under a contended GIL, a switch interval), and its teardown. ReusedThread
offers what the interpreter uses of threading.Thread (start, join, is_alive, name,
ident, native_id, daemon) and runs its target on an idle worker left by an earlier
one, or on a new worker when none is idle: never fewer threads than before, so no
target ever waits for another to end. Each target runs in a fresh contextvars
context, as on a new thread; a target's exception goes to threading.excepthook, as
on a thread of its own. The embedded server serves each connection on one too
(harness/emulator/embedded.py), where werkzeug started a thread per connection.
"""

from __future__ import annotations

import contextvars
import itertools
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from harness.emulator.module_stand_in import ModuleStandIn

IDLE_WORKERS_KEPT = 64  # beyond this, a worker that finishes ends, as a thread would
_names = itertools.count(1)


class ReusedThread:
    """Stands in for threading.Thread where moto's interpreter starts one."""

    def __init__(
        self,
        group: None = None,
        target: Callable[..., Any] | None = None,
        name: str | Callable[[], str] | None = None,
        args: tuple = (),
        kwargs: dict | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        self._target, self._args, self._kwargs = target, args, kwargs or {}
        self._name = name or f"sfn-interpreter-{next(_names)}"
        self.daemon = True  # the interpreter asks for daemon threads; workers are daemons
        self.ident: int | None = None
        self.native_id: int | None = None
        self._started = False
        self._running = threading.Lock()  # held from start until the target has ended: a
        # lock, as threading.Thread's own end-of-thread lock, is cheaper to make than an Event

    @property
    def name(self) -> str:
        """The name given, or, given a function that makes it, what it makes when asked."""
        if callable(self._name):
            self._name = self._name()
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self._name = name

    def start(self) -> None:
        if self._started:
            raise RuntimeError("threads can only be started once")
        self._started = True
        self._running.acquire()
        WORKERS.run(self)

    def run(self) -> None:
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def join(self, timeout: float | None = None) -> None:
        if not self._started:
            raise RuntimeError("cannot join thread before it is started")
        if self._running.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            self._running.release()

    def is_alive(self) -> bool:
        return self._started and self._running.locked()

    def _run_here(self) -> None:
        self.ident, self.native_id = threading.get_ident(), threading.get_native_id()
        try:
            contextvars.Context().run(self.run)
        except BaseException:  # noqa: BLE001 - reported as an uncaught exception in a thread is
            threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), threading.current_thread())))
        finally:
            self._target = self._args = self._kwargs = None  # nothing kept alive by an idle worker
            self._running.release()


class Workers:
    """Idle worker threads, each waiting for the next target on its own queue."""

    def __init__(self, idle_kept: int = IDLE_WORKERS_KEPT) -> None:
        self.idle_kept = idle_kept
        self._idle: list[queue.SimpleQueue] = []
        self._lock = threading.Lock()
        self.started = 0  # workers ever started, for tests and benchmarks

    def run(self, job: ReusedThread) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
            if inbox is None:
                self.started += 1
        if inbox is not None:
            inbox.put(job)
            return
        inbox = queue.SimpleQueue()
        inbox.put(job)
        threading.Thread(target=self._work, args=(inbox,), name="sfn-interpreter-worker", daemon=True).start()

    def _work(self, inbox: queue.SimpleQueue) -> None:
        while True:
            inbox.get()._run_here()
            with self._lock:
                if len(self._idle) >= self.idle_kept:
                    return
                self._idle.append(inbox)

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)


WORKERS = Workers()


class ThreadingWithReusedThreads(ModuleStandIn):
    """Stands in for the threading module in an interpreter module that calls threading.Thread."""

    module = threading
    Thread = ReusedThread
