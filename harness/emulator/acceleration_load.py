"""Speed-ups for the embedded emulator under load that change no behaviour.

The first speed-ups (harness/emulator/acceleration.py) removed work repeated for every
execution. Under load, 10 executions in flight on `make up`, py-spy (`record
--gil`, `--native`, `--idle`) showed where the rest of an execution's time went.
The shares are of the emulator's GIL-holding samples, `text` notifications, 10 in
flight, before these patches (the cyclic GC's share was timed with gc.callbacks):

- Python's cyclic garbage collector, 18% of the time: every execution allocates
  thousands of objects (its copy of the program, its history, frames, threads),
  and with CPython's default threshold (700) full collections walked the whole
  heap (moto, boto3, Flask: 300,000 objects) every few seconds, each a pause of
  about 300 ms for every thread. The heap is frozen after start-up (gc.freeze) and
  young collections come every 20,000 allocations: `collect_garbage_less_often`.
- ResultPath compiled its JSONPath with a new PLY parser for every Task and Pass
  state (moto.stepfunctions...common.path.result_path.parse, jsonpath_ng.parse),
  7%: compiled once per path (the expressions are immutable), as
  acceleration.py already does for the interpreter's other paths.
- copy.deepcopy of state input, results and parameters in the interpreter, 5%:
  JSON values (dicts, lists, strings, numbers) are copied by a function made for
  them, which keeps aliases as deepcopy does and hands anything else to deepcopy
  (`copy` in the interpreter modules listed in INTERPRETER_MODULES_THAT_COPY).
- every request listed its response class's methods with inspect.getmembers
  (moto.core.responses.method_names_from_class), 2%: listed once per class, again
  when the class gains an attribute.
- every request found its service's backend by trying moto's URL patterns one
  after the other, hundreds of regular expressions, under the dispatcher's global
  lock (moto.moto_server.werkzeug_app.DomainDispatcherApplication
  .get_backend_for_host), 3% of a simple request: found once per host name.
- moto's Flask apps run in debug mode, and Flask then builds a new class for every
  request's files (flask.debughelpers.attach_enctype_error_multidict, a friendlier
  KeyError for browser form posts), 1%: left out.
- DynamoDB parsed each UpdateExpression twice per request
  (moto.dynamodb.parsing.expressions.UpdateExpressionParser.make), 1%: parsed once
  per expression; the validator deep-copies the tree before it changes it.
- then validated it with ten tree walks, each of which rebuilt its processor's
  node-type map (a dict of bound methods) twice for every node it visited
  (moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser), part of the 7% that
  validation took after the first patches: built once per walk.
- a `.sync` Task (the order's nested notification) checked its nested execution
  every 0.5 s (state_task_service_callback's time.sleep): half a second of an
  order's 0.65 s alone. The sleep now ends when the nested execution ends
  (BaseExecutionWorkerCommunication.terminated announces it); the checks are the
  same.
- DynamoDB transactions deep-copied every table they touch, for rollback
  (DynamoDBBackend.transact_write_items), 7% of an order's time with 300 orders in
  the table, and growing with it: the backup copies the hash keys the transaction
  names and shares the rest, which it does not write (every write holds
  fidelity's DynamoDB lock). Tables with streams keep moto's full copy.
- the interpreter started a new thread for every execution, program, Task and
  Parallel state, branch and callback wait, about ten per notification: each now
  runs on a reused worker (harness/emulator/thread_reuse.py).
- moto kept every thread the interpreter ever started in a list nothing reads
  (moto.stepfunctions.parser.utils.TMP_THREADS), about 10 per execution, for
  the life of the process, for the collector to walk: no longer kept.

A third pass (py-spy `--gil`, 10 in flight, shares of the emulator's time) found:

- a Parallel branch's thread was named after its whole program, spelled out
  component by component (moto's Component.__str__ via BranchWorker.start), 2%
  for `text` notifications: the name is made when read, and nothing reads it.
- DynamoDB's validator deep-copied the parsed UpdateExpression before changing
  it (moto.dynamodb.parsing.validators), about 2%: the same copy is unpickled
  from a snapshot of the parsed expression, 5x faster than copy.deepcopy.
- moto found an execution by scanning all of its state machine's executions, on
  every start (the name check) and every DescribeExecution (the `.sync` check
  included), 3.5% of the emulator's time for orders after a few hundred: looked
  up by name and by ARN in an index kept in step with the list.

A fourth pass (same profiler, `dual` notifications and orders at 10 in flight):

- every state asked for a deep copy of the program's state (running, ended, ...)
  to check that the program still runs, and copy.deepcopy took the generic path
  for these small objects, 2.3% for `dual`: their attributes are copied as JSON
  values are.
- every request looked its account's backends up in moto's BackendDict under
  the global backend lock, scanning every BackendDict in use, 2.5% for orders:
  an account already there is answered without the lock.

tests/emulator/test_acceleration_load.py pins each patch and what it preserves.
HARNESS_LOAD_OFF=name,... (names in PATCHES) leaves patches out, to measure them;
HARNESS_PLAIN_MOTO=1 leaves out these and acceleration.py's.
"""

from __future__ import annotations

import copy
import gc
import importlib
import os
import pickle
import threading
import time
import weakref
from functools import lru_cache

import flask.debughelpers
import jsonpath_ng
import moto.core.responses
import moto.core.utils
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from harness.emulator import thread_reuse
from harness.emulator.module_stand_in import ModuleStandIn

_applied = False
GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def collect_garbage_less_often() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def compile_each_result_path_once() -> None:
    result_path.parse = lru_cache(maxsize=4096)(jsonpath_ng.parse)


def list_each_response_class_once() -> None:
    original = moto.core.utils.method_names_from_class
    cache: dict[type, tuple[int, list[str]]] = {}

    def method_names(clazz):
        size = sum(len(vars(k)) for k in clazz.__mro__)
        known = cache.get(clazz)
        if known is None or known[0] != size:
            known = cache[clazz] = (size, original(clazz))
        return known[1]

    moto.core.responses.method_names_from_class = method_names


def no_debug_class_per_request() -> None:
    flask.debughelpers.attach_enctype_error_multidict = lambda request: None


_nested_ended: dict[str, threading.Event] = {}
_waiting = threading.local()


class _SyncClock(ModuleStandIn):
    """Stands in for the time module in state_task_service_callback: its .sync loop's
    sleep between checks ends early when the nested execution it waits for ends."""

    module = time

    @staticmethod
    def sleep(seconds: float) -> None:
        ended = _nested_ended.get(getattr(_waiting, "arn", None) or "")
        if ended is None:
            time.sleep(seconds)
        elif ended.wait(seconds):
            ended.clear()


def wake_sync_tasks_when_nested_execution_ends() -> None:
    def resolver_naming_its_execution(build):
        def build_resolver(self, env, *args, **kwargs):
            submitted = env.stack[-1] if env.stack else None
            resolver = build(self, env, *args, **kwargs)
            arn = submitted.get("ExecutionArn") if isinstance(submitted, dict) else None
            if resolver is not None and isinstance(arn, str):
                _nested_ended[arn] = threading.Event()
                resolver.nested_execution_arn = arn
            return resolver

        return build_resolver

    for name in ("_build_sync_resolver", "_build_sync2_resolver"):
        setattr(StateTaskServiceSfn, name, resolver_naming_its_execution(getattr(StateTaskServiceSfn, name)))

    eval_sync = StateTaskServiceCallback._eval_sync

    def eval_sync_woken(self, env, sync_resolver, *args, **kwargs):
        arn = getattr(sync_resolver, "nested_execution_arn", None)
        _waiting.arn = arn
        try:
            return eval_sync(self, env, sync_resolver, *args, **kwargs)
        finally:
            _waiting.arn = None
            if arn is not None:
                _nested_ended.pop(arn, None)

    StateTaskServiceCallback._eval_sync = eval_sync_woken
    state_task_service_callback.time = _SyncClock()

    terminated = BaseExecutionWorkerCommunication.terminated

    def terminated_and_announced(self):
        terminated(self)
        ended = _nested_ended.get(self.execution.exec_arn)
        if ended is not None:
            ended.set()

    BaseExecutionWorkerCommunication.terminated = terminated_and_announced


_ATOMIC = frozenset({str, int, float, bool, type(None)})


def json_deepcopy(value, memo=None):
    """copy.deepcopy, faster for JSON values: dicts and lists are rebuilt here (the same
    copies, aliases kept through the memo), anything else goes to copy.deepcopy."""
    cls = type(value)
    if cls in _ATOMIC:
        return value
    if cls is dict or cls is list:
        if memo is None:
            memo = {}
        found = memo.get(id(value))
        if found is not None:
            return found
        if cls is dict:
            copied = memo[id(value)] = {}
            for key, item in value.items():
                copied[key if type(key) is str else json_deepcopy(key, memo)] = (
                    item if type(item) in _ATOMIC else json_deepcopy(item, memo)
                )
        else:
            copied = memo[id(value)] = []
            copied.extend(item if type(item) in _ATOMIC else json_deepcopy(item, memo) for item in value)
        return copied
    return copy.deepcopy(value, memo)


class _JsonCopy(ModuleStandIn):
    """Stands in for the copy module where the interpreter copies JSON values."""

    module = copy

    deepcopy = staticmethod(json_deepcopy)


INTERPRETER_MODULES_THAT_COPY = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.json_manipulation.json_merge",
)


def copy_json_values_directly() -> None:
    for name in INTERPRETER_MODULES_THAT_COPY:
        module = importlib.import_module(name)
        if module.copy is copy:
            module.copy = _JsonCopy()


def copy_program_states_directly() -> None:
    """Environment.program_state() hands out a deep copy of where the program is (running,
    ended, stopped, failed; a few plain attributes), and every state asks for it, mostly to
    check that it is still running. copy.deepcopy goes through __reduce_ex__ for these
    objects; the same copy is made by copying the attributes as JSON values are copied."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    def program_state(self):
        state = self._program_state
        copied = object.__new__(type(state))
        copied.__dict__.update(json_deepcopy(state.__dict__))
        return copied

    Environment.program_state = program_state


def find_account_backends_without_the_global_lock() -> None:
    """moto's BackendDict[account_id], used several times by every request, takes moto's
    global backend lock, lists the accounts and scans every service's BackendDict in use
    (BackendDict._instances, an __eq__ each) before answering, 2.5% of the emulator's time
    for orders. An account already there, in a BackendDict registered since the last
    reset, is now answered at once; anything else goes through moto's own path."""
    from moto.core.base_backend import BackendDict, backend_lock

    look_up = BackendDict.__getitem__
    reset = BackendDict.reset.__func__
    resets = [0]  # BackendDict.reset() clears every registration

    def __getitem__(self, account_id):
        if self.__dict__.get("_harness_registered") == resets[0] and dict.__contains__(self, account_id):
            return dict.__getitem__(self, account_id)
        registered = resets[0]
        backend = look_up(self, account_id)  # creates the account's backends and registers self
        self.__dict__["_harness_registered"] = registered
        return backend

    def reset_all(cls):
        with backend_lock:
            resets[0] += 1
            reset(cls)

    BackendDict.__getitem__ = __getitem__
    BackendDict.reset = classmethod(reset_all)


def parse_each_update_expression_once() -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    make = UpdateExpressionParser.make.__func__
    UpdateExpressionParser.make = classmethod(lru_cache(maxsize=1024)(make))


_EXPRESSION_SNAPSHOTS_KEPT = 1024  # as many as parse_each_update_expression_once caches


def copy_update_expressions_from_a_snapshot() -> None:
    """The validator deep-copies the parsed expression before it changes it: the same
    copy, unpickled from a snapshot of the (cached, never changed) parsed expression."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node

    snapshots: dict[int, tuple[Node, bytes]] = {}  # by id, the expression kept so its id stays its own
    lock = threading.Lock()

    def deepcopy(value, memo=None):
        if memo is not None or not isinstance(value, Node):
            return copy.deepcopy(value, memo)
        with lock:
            known = snapshots.get(id(value))
        if known is None:
            try:
                known = (value, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            except (pickle.PicklingError, TypeError, AttributeError):
                return copy.deepcopy(value)
            with lock:
                if len(snapshots) >= _EXPRESSION_SNAPSHOTS_KEPT:
                    snapshots.clear()
                snapshots[id(value)] = known
        return pickle.loads(known[1])

    if validators.deepcopy is copy.deepcopy:
        validators.deepcopy = deepcopy


def build_each_traversers_map_once() -> None:
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    def handlers(self) -> tuple:
        known = self.__dict__.get("_harness_handlers")
        if known is None:  # each _processing_map is a literal of this instance's bound methods
            known = self.__dict__["_harness_handlers"] = tuple(self._processing_map().items())
            self.__dict__["_harness_types"] = tuple(node_type for node_type, _ in known)
        return known

    def nodes_to_be_processed(self) -> tuple:
        handlers(self)
        return self.__dict__["_harness_types"]

    def process(self, node):
        for node_type, processor in handlers(self):
            if isinstance(node, node_type):
                return processor(node)

    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed
    DepthFirstTraverser.process = process


def look_up_each_hosts_backend_once() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    look_up = DomainDispatcherApplication.get_backend_for_host

    def get_backend_for_host(self, host):
        known = self.__dict__.setdefault("_harness_backends", {})
        backend = known.get(host)
        if backend is None:
            backend = look_up(self, host)
            if backend:  # a host no backend serves is looked up (and reported) each time, as before
                known[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


class _ExecutionIndex:
    """A state machine's executions by name and by ARN, caught up with its list (which
    moto only appends to) before each lookup; a list replaced or shortened is indexed anew."""

    def __init__(self, executions: list) -> None:
        self.executions, self.count = executions, 0
        self.by_name: dict[str, object] = {}
        self.by_arn: dict[str, object] = {}
        self.lock = threading.Lock()

    def caught_up(self) -> _ExecutionIndex:
        with self.lock:
            for execution in self.executions[self.count :]:
                self.by_name.setdefault(execution.name, execution)  # the first, as moto's scan finds
                self.by_arn.setdefault(execution.execution_arn, execution)
            self.count = len(self.executions)
        return self


# Beside the state machine, not on it (start_execution deep-copies it, and its executions
# hold threads and locks); weakly, so a state machine deleted or reset takes its index along.
_execution_indexes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _execution_index(state_machine) -> _ExecutionIndex:
    index = _execution_indexes.get(state_machine)
    if index is None or index.executions is not state_machine.executions or index.count > len(index.executions):
        index = _execution_indexes[state_machine] = _ExecutionIndex(state_machine.executions)
    return index.caught_up()


def find_executions_by_index() -> None:
    """moto found an execution by scanning every execution of its state machine, on each
    start (the name check) and each DescribeExecution: looked up in an index instead."""
    from moto.stepfunctions.exceptions import ExecutionAlreadyExists, ExecutionDoesNotExist
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend

    def _handle_name_input_idempotency(self, name, execution_input):
        execution = _execution_index(self).by_name.get(name)
        if execution is None:
            return None
        if execution_input == execution.execution_input and execution.status == "RUNNING":
            return execution  # the same name and input while running: the same execution
        raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")

    def describe_execution(self, execution_arn):
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        execution = _execution_index(state_machine).by_arn.get(execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return execution

    StateMachine._handle_name_input_idempotency = _handle_name_input_idempotency
    StepFunctionBackend.describe_execution = describe_execution


THREAD_STARTING_MODULES = (
    "moto.stepfunctions.parser.asl.component.program.program",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component",
    "moto.stepfunctions.parser.asl.component.test_state.program.test_state_program",
    "moto.stepfunctions.parser.backend.execution_worker",
)


class _NoRetention(list):
    """Stands in for moto's TMP_THREADS: the interpreter appends every thread it starts
    and nothing ever reads the list, so each Thread object was kept for good."""

    def append(self, thread) -> None:
        pass


def keep_no_finished_threads() -> None:
    import sys

    from moto.stepfunctions.parser import utils as parser_utils

    for name in THREAD_STARTING_MODULES:  # each binds the list by name when imported
        importlib.import_module(name)

    original, replacement = parser_utils.TMP_THREADS, _NoRetention()
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "TMP_THREADS", None) is original:
            module.TMP_THREADS = replacement
    original.clear()


def reuse_interpreter_threads() -> None:
    """Each module that starts interpreter threads gets harness.emulator.thread_reuse's."""
    for name in THREAD_STARTING_MODULES:
        module = importlib.import_module(name)
        if name.endswith("test_state_program"):
            continue  # TestState runs one state per API call: not on the execution path
        if getattr(module, "Thread", None) is threading.Thread:
            module.Thread = thread_reuse.ReusedThread
        if getattr(module, "threading", None) is threading:
            module.threading = thread_reuse.ThreadingWithReusedThreads()


def name_branch_threads_when_asked() -> None:
    """A Parallel branch's thread is named after its whole program, spelled out component
    by component (moto's Component.__str__): made only when the name is read."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branch_worker

    if branch_worker.threading.Thread is not thread_reuse.ReusedThread:
        return  # only a ReusedThread takes a name to make later (thread_reuse left out)

    def start(self):
        if self._worker_thread is not None:
            raise RuntimeError(f"Attempted to rerun BranchWorker for program ${self._program}.")
        program = self._program
        self._worker_thread = branch_worker.threading.Thread(
            target=self._thread_routine, name=lambda: f"BranchWorker_${program}", daemon=True
        )
        branch_worker.TMP_THREADS.append(self._worker_thread)
        self._worker_thread.start()

    branch_worker.BranchWorker.start = start


_transaction = threading.local()


class _TransactionCopy(ModuleStandIn):
    """Stands in for the copy module in moto.dynamodb.models: inside transact_write_items,
    the backup of a table copies only the hash keys the transaction names."""

    module = copy

    @staticmethod
    def deepcopy(value, memo=None):
        from moto.dynamodb.models.table import Table

        touched = getattr(_transaction, "touched", None)
        if touched is None or type(value) is not Table or value.stream_shard is not None:
            return copy.deepcopy(value, memo)
        keys = touched.get(value.name)
        if keys is None:
            return copy.deepcopy(value, memo)
        backup = copy.copy(value)
        backup.items = copy.copy(value.items)
        for key in keys:
            if key in value.items:
                backup.items[key] = copy.deepcopy(value.items[key])
        return backup


def _touched_hash_keys(backend, transact_items) -> dict[str, set] | None:
    """Per table, the hash keys the transaction names; None when one cannot be told."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: dict[str, set] = {}
    try:
        for item in transact_items:
            for op_type, op in item.items():
                table = backend.tables[op["TableName"]]
                key = op["Item"] if op_type == "Put" else op["Key"]
                touched.setdefault(table.name, set()).add(DynamoType(key[table.hash_key_attr]))
    except (KeyError, TypeError, AttributeError):
        return None
    return touched


def back_up_only_what_a_transaction_touches() -> None:
    import moto.dynamodb.models as dynamodb_models

    if dynamodb_models.copy is copy:
        dynamodb_models.copy = _TransactionCopy()
    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        _transaction.touched = _touched_hash_keys(self, transact_items)
        try:
            return transact(self, transact_items)
        finally:
            _transaction.touched = None

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


PATCHES = {
    "transaction_backup": back_up_only_what_a_transaction_touches,
    "threads_list": keep_no_finished_threads,
    "thread_reuse": reuse_interpreter_threads,
    "branch_thread_name": name_branch_threads_when_asked,  # after thread_reuse
    "json_copy": copy_json_values_directly,
    "program_state_copy": copy_program_states_directly,
    "account_backends": find_account_backends_without_the_global_lock,
    "update_expression": parse_each_update_expression_once,
    "expression_copy": copy_update_expressions_from_a_snapshot,
    "traverser_map": build_each_traversers_map_once,
    "backend_lookup": look_up_each_hosts_backend_once,
    "sync_wake": wake_sync_tasks_when_nested_execution_ends,
    "execution_index": find_executions_by_index,
    "gc": collect_garbage_less_often,
    "result_path": compile_each_result_path_once,
    "method_names": list_each_response_class_once,
    "flask_debug": no_debug_class_per_request,
}


def apply_all() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    off = set(filter(None, os.environ.get("HARNESS_LOAD_OFF", "").split(",")))
    for name, patch in PATCHES.items():
        if name not in off:
            patch()
