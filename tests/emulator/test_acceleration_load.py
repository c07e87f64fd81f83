"""The embedded emulator runs with the speed-ups of harness/emulator/acceleration_load.py:
each is installed, and each leaves what runs and what is recorded as it was."""

from __future__ import annotations

import copy
import datetime
import enum
import gc
import json
import pickle
import threading
import types
import uuid

import flask.debughelpers
import jsonpath_ng
import moto.core.responses
import moto.dynamodb.models as dynamodb_models
import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.sns.models import SNSBackend
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.eval import program_state, states
from moto.stepfunctions.parser.asl.eval.environment import Environment

from harness.emulator import acceleration_load
from harness.observe.waiting import poll


def test_the_load_speed_ups_are_installed_in_the_running_emulator(emulator):
    assert acceleration_load._applied
    assert gc.get_threshold()[0] >= acceleration_load.GC_THRESHOLD and gc.get_freeze_count() > 0
    assert hasattr(result_path.parse, "cache_info") and result_path.parse("$.a") is result_path.parse("$.a")
    assert isinstance(states.copy, acceleration_load._JsonCopy)
    assert isinstance(dynamodb_models.copy, acceleration_load._TransactionCopy)
    assert UpdateExpressionParser.make("SET a = :v") is UpdateExpressionParser.make("SET a = :v")
    assert Environment.program_state.__qualname__.startswith("copy_program_states_directly")
    assert BackendDict.__getitem__.__qualname__.startswith("find_account_backends_without_the_global_lock")


def test_a_json_copy_is_what_deepcopy_gives():
    shared = [1, {"b": None}]
    value = {"a": shared, "again": shared, "n": 1.5, "s": "x", "t": True, "nested": [[{"k": "v"}]]}
    copied = acceleration_load.json_deepcopy(value)
    assert copied == copy.deepcopy(value) and copied is not value
    assert copied["a"] is copied["again"] and copied["a"] is not shared  # aliases stay aliases
    assert copied["nested"][0][0] is not value["nested"][0][0]


def test_values_that_are_not_json_are_deep_copied_as_before():
    class Colour(enum.Enum):
        RED = 1

    moment = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)
    value = {"when": moment, "colour": Colour.RED, "pair": (1, [2]), "set": {3}}
    copied = acceleration_load.json_deepcopy(value)
    assert copied == value and copied["colour"] is Colour.RED
    assert copied["pair"][1] is not value["pair"][1] and copied["set"] is not value["set"]


def test_invalid_update_expressions_are_still_refused_each_time():
    for _ in range(2):
        with pytest.raises(Exception, match="Invalid"):
            UpdateExpressionParser.make("SET = :v")


def test_a_result_path_compiles_once_to_the_expression_jsonpath_ng_gives(emulator):
    assert str(result_path.parse("$.channels.sms")) == str(jsonpath_ng.parse("$.channels.sms"))
    assert result_path.parse("$.channels.sms") is result_path.parse("$.channels.sms")


def test_response_classes_list_their_methods_once_and_see_new_ones(emulator):
    class Handler(moto.core.responses.BaseResponse):
        def first(self):
            pass

    names = moto.core.responses.method_names_from_class
    assert "first" in names(Handler) and names(Handler) is names(Handler)
    Handler.second = lambda self: None
    assert "second" in names(Handler)


def test_requests_get_no_class_of_their_own(emulator):
    class Request:
        files = {}

    request = Request()
    flask.debughelpers.attach_enctype_error_multidict(request)
    assert type(request.files) is dict


def test_finished_threads_are_not_kept(emulator):
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    assert len(execute_state.TMP_THREADS) == 0
    execute_state.TMP_THREADS.append(object())
    assert len(execute_state.TMP_THREADS) == 0


@pytest.fixture
def sfn_role(emulator) -> str:
    iam = emulator.client("iam")
    name = f"load-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_a_sync_task_resumes_when_its_nested_execution_ends(emulator, sfn_role):
    """moto checks a .sync task's nested execution every 0.5 s; now its end wakes the task."""
    sfn = emulator.client("stepfunctions")
    passes = {f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(40)} | {
        "P40": {"Type": "Pass", "End": True}
    }
    child = sfn.create_state_machine(
        name=f"child-{uuid.uuid4().hex[:8]}",
        roleArn=sfn_role,
        definition=json.dumps({"StartAt": "P0", "States": passes}),
    )["stateMachineArn"]
    parent_definition = {
        "StartAt": "Nested",
        "States": {
            "Nested": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n": 1}},
                "End": True,
            }
        },
    }
    parent = sfn.create_state_machine(
        name=f"parent-{uuid.uuid4().hex[:8]}", roleArn=sfn_role, definition=json.dumps(parent_definition)
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
    described = poll(
        lambda: (found := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and found,
        timeout=30,
        describe=lambda: str(sfn.get_execution_history(executionArn=arn)["events"]),
    )
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["Status"] == "SUCCEEDED" and output["Output"] == {"n": 1}
    # How much sooner it resumes is a figure for make bench; the wake-up itself is the next test.


def test_executions_are_found_by_name_and_by_arn_as_a_scan_finds_them(emulator, sfn_role):
    sfn = emulator.client("stepfunctions")
    hold = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}
    machine = sfn.create_state_machine(
        name=f"index-{uuid.uuid4().hex[:8]}", roleArn=sfn_role, definition=json.dumps(hold)
    )["stateMachineArn"]

    def start(name: str, value: int) -> str:
        return sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"i": value}))["executionArn"]

    def refused(call) -> str:
        with pytest.raises(ClientError) as error:
            call()
        return error.value.response["Error"]["Code"]

    arns = [start(f"run-{i}", i) for i in range(3)]
    try:
        assert start("run-1", 1) == arns[1]  # the same name and input while running: the same one
        assert refused(lambda: start("run-1", 9)) == "ExecutionAlreadyExists"
        assert [sfn.describe_execution(executionArn=arn)["name"] for arn in arns] == ["run-0", "run-1", "run-2"]
        never = arns[0].replace(":run-0", ":never-started")
        assert refused(lambda: sfn.describe_execution(executionArn=never)) == "ExecutionDoesNotExist"
        sfn.stop_execution(executionArn=arns[1])
        assert refused(lambda: start("run-1", 1)) == "ExecutionAlreadyExists"  # ended: its name is taken
        assert start("run-3", 3) != arns[1] and len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 4
    finally:
        for arn in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=arn["executionArn"])


def test_the_end_of_a_nested_execution_wakes_the_task_waiting_for_it(emulator):
    """The mechanism, without timing races: the .sync loop's sleep ends when the execution ends."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    arn = f"arn:aws:states:us-east-1:123456789012:execution:child:{uuid.uuid4()}"
    acceleration_load._nested_ended[arn] = threading.Event()

    def sync_task_sleeping():
        acceleration_load._waiting.arn = arn
        state_task_service_callback.time.sleep(5)

    sleeper = threading.Thread(target=sync_task_sleeping, daemon=True)
    sleeper.start()
    ending = BaseExecutionWorkerCommunication.__new__(BaseExecutionWorkerCommunication)
    ending.execution = types.SimpleNamespace(exec_arn=arn)
    ending._reflect_execution_status = lambda: None  # what moto records is not under test here
    # Ending before or after the sleep begins: either way the sleep must not last its 5 s.
    ending.terminated()
    sleeper.join(timeout=2)
    assert not sleeper.is_alive()
    acceleration_load._nested_ended.pop(arn, None)


def _new_table(dynamodb, prefix: str, key: str) -> str:
    """An on-demand table with one string hash key, named uniquely."""
    table = f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table


def test_a_failed_transaction_restores_the_table_and_copies_only_what_it_named(emulator):
    ddb = emulator.client("dynamodb")
    table = _new_table(ddb, "load", "k")
    for key in ("a", "b", "untouched"):
        ddb.put_item(TableName=table, Item={"k": {"S": key}, "n": {"N": "1"}})
    live = dynamodb_backends[emulator.client("sts").get_caller_identity()["Account"]][emulator.region].tables[table]
    untouched = live.items[next(k for k in live.items if k.value == "untouched")]
    before = {key.value: item.to_json() for key, item in live.items.items()}

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"k": {"S": "a"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },  # fmt: skip
                {"Put": {"TableName": table, "Item": {"k": {"S": "new"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"k": {"S": "b"}},
                        "ConditionExpression": "attribute_not_exists(k)",
                    }
                },  # fmt: skip
            ]
        )

    restored = dynamodb_backends[emulator.client("sts").get_caller_identity()["Account"]][emulator.region].tables[table]
    assert {key.value: item.to_json() for key, item in restored.items.items()} == before
    assert restored.items[next(k for k in restored.items if k.value == "untouched")] is untouched  # not copied
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"k": {"S": "a"}},
                    "UpdateExpression": "SET n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                }
            }
        ]  # fmt: skip
    )
    assert ddb.get_item(TableName=table, Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "2"}


def test_the_interpreter_starts_reused_threads(emulator):
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.backend import execution_worker

    from harness.emulator.thread_reuse import ReusedThread

    assert execute_state.Thread is ReusedThread and execution_worker.Thread is ReusedThread
    assert program.threading.Thread is ReusedThread and program.threading.Event is threading.Event


def test_connections_are_served_on_reused_workers(emulator):
    from harness.emulator import thread_reuse
    from harness.emulator.embedded import _ServerOnReusedThreads

    assert isinstance(emulator._server._server, _ServerOnReusedThreads)
    sqs = emulator.client("sqs")
    sqs.list_queues()
    started = thread_reuse.WORKERS.started
    for _ in range(20):  # one connection each: the server closes every connection
        sqs.list_queues()
    assert thread_reuse.WORKERS.started - started < 20  # a new thread per connection, before


def test_a_branch_thread_gets_its_name_from_its_program_when_asked(emulator):
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker

    from harness.emulator.thread_reuse import ReusedThread

    ran = threading.Event()

    class Program:
        def eval(self, env):
            ran.set()

        def __str__(self):
            return "(Program| {...})"

    worker = BranchWorker(branch_worker_comm=None, program=Program(), env=None)
    worker._thread_routine = ran.set  # the program and its pool are the Parallel state's business
    worker.start()
    assert ran.wait(10) and isinstance(worker._worker_thread, ReusedThread)
    assert worker._worker_thread.name == "BranchWorker_$(Program| {...})"  # as moto names it
    with pytest.raises(RuntimeError, match="Attempted to rerun BranchWorker"):
        worker.start()


def test_a_validation_walk_builds_its_node_map_once(emulator):
    from moto.dynamodb.parsing.validators import NoneExistingPathChecker

    built = []

    class Counting(NoneExistingPathChecker):
        def _processing_map(self):
            built.append(1)
            return super()._processing_map()

    tree = UpdateExpressionParser.make("SET a = if_not_exists(a, :zero) + :one, b = list_append(b, :more) REMOVE c")
    assert Counting().traverse(tree) is tree and len(built) == 1


def test_updates_validated_with_the_built_maps_give_what_dynamodb_gives(emulator):
    dynamodb = emulator.client("dynamodb")
    table = _new_table(dynamodb, "traverse", "id")
    key = {"id": {"S": "one"}}
    for _ in range(2):
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET n = if_not_exists(n, :zero) + :one, l = list_append(if_not_exists(l, :empty), :more)",
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":empty": {"L": []},
                ":more": {"L": [{"S": "x"}]},
            },
        )
    item = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert item["n"] == {"N": "2"} and item["l"] == {"L": [{"S": "x"}, {"S": "x"}]}
    with pytest.raises(ClientError) as refused:  # a missing path in an operand is still refused
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET n = missing + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def _tree(value, seen: dict[int, int] | None = None):
    """A parsed expression as plain values: each node's type and attributes, in order, and
    a node met again (a parent link) as the number of its first visit."""
    seen = {} if seen is None else seen
    if isinstance(value, (list, tuple)):
        return [_tree(item, seen) for item in value]
    if not hasattr(value, "__dict__") or isinstance(value, enum.Enum):
        return value
    if id(value) in seen:
        return ("seen", seen[id(value)])
    seen[id(value)] = len(seen)
    return (type(value).__name__, {name: _tree(item, seen) for name, item in vars(value).items()})


def test_the_validator_gets_a_copy_of_the_parsed_expression_as_deepcopy_makes_it(emulator):
    from moto.dynamodb.parsing import validators

    parsed = UpdateExpressionParser.make("SET n = if_not_exists(n, :zero) + :one REMOVE gone")
    before = pickle.dumps(parsed)
    copies = [validators.deepcopy(parsed) for _ in range(2)]
    assert validators.deepcopy is not copy.deepcopy
    assert copies[0] is not copies[1] and copies[0] is not parsed
    assert copies[0].children[0] is not copies[1].children[0]  # nothing shared between copies
    assert _tree(copies[0]) == _tree(copy.deepcopy(parsed)) == _tree(parsed) and pickle.dumps(parsed) == before
    assert validators.deepcopy({"a": [1]}) == {"a": [1]}  # anything else: copy.deepcopy


def test_a_hosts_backend_is_found_once_and_is_the_one_moto_finds(emulator):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatcher = DomainDispatcherApplication(create_app=lambda backend: None)
    host = "states.eu-west-1.amazonaws.com"
    first = dispatcher.get_backend_for_host(host)
    patterns, dispatcher.backend_url_patterns = dispatcher.backend_url_patterns, []
    assert first == "stepfunctions" and dispatcher.get_backend_for_host(host) == first  # no pattern tried again
    assert dispatcher.get_backend_for_host("nothing.example.org") is None
    dispatcher.backend_url_patterns = patterns


@pytest.mark.parametrize(
    "state",
    [
        program_state.ProgramRunning(),
        program_state.ProgramEnded(),
        program_state.ProgramStopped(stop_date=datetime.datetime.now(), error="Stopped", cause="by a test"),
        program_state.ProgramError(error={"error": "States.TaskFailed", "cause": '{"a": [1]}'}),
        program_state.ProgramTimedOut(),
    ],
)
def test_a_program_state_is_handed_out_as_deepcopy_copies_it(emulator, state):
    if isinstance(state, program_state.ProgramRunning):
        state.next_state_name = "SendSms"
    environment = Environment.__new__(Environment)
    environment._program_state = state

    handed_out, deep_copy = environment.program_state(), copy.deepcopy(state)

    assert type(handed_out) is type(state) and vars(handed_out) == vars(deep_copy) == vars(state)
    assert handed_out is not state
    for name, value in vars(handed_out).items():  # no container shared, as in a deep copy
        if isinstance(value, (dict, list)):
            assert value is not getattr(state, name)


def test_an_accounts_backends_are_found_as_moto_finds_them_and_a_reset_still_clears_them(emulator, monkeypatch):
    in_use: list = []
    monkeypatch.setattr(BackendDict, "_instances", in_use)  # BackendDict.reset() below resets only these
    backends = BackendDict(SNSBackend, "sns", use_boto3_regions=False, additional_regions=["us-east-1"])

    first = backends["111122223333"]  # created and registered by moto's own path
    assert in_use == [backends] and backends["111122223333"] is first  # then found at once
    assert backends["444455556666"] is not first and list(backends) == ["111122223333", "444455556666"]

    BackendDict.reset()

    assert in_use == [] and dict(backends) == {}
    again = backends["111122223333"]  # created anew and registered again, as moto does after a reset
    assert again is not first and in_use == [backends]
