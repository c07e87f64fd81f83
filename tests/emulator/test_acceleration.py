"""The embedded emulator runs with the speed-ups of harness/emulator/acceleration.py, and
they keep executions apart."""

from __future__ import annotations

import gc
import uuid
from types import SimpleNamespace

import boto3
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from harness.emulator import acceleration
from harness.emulator.embedded import CREDENTIALS


def test_the_speed_ups_are_installed_in_the_running_emulator(emulator):
    assert emulator.accelerated
    assert acceleration._applied
    assert ExecutionWorker._get_evaluation_entrypoint.__qualname__.startswith("parse_each_definition_once")
    assert hasattr(json_path.parse, "cache_info")


def test_executions_of_a_definition_run_one_parsed_program_with_every_heap_key_set(emulator, stack):
    definition = emulator.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.notification_state_machine_arn
    )["definition"]

    worker = ExecutionWorker.__new__(ExecutionWorker)
    worker._evaluation_details = SimpleNamespace(state_machine_details=SimpleNamespace(definition=definition))
    first, second = worker._get_evaluation_entrypoint(), worker._get_evaluation_entrypoint()
    assert first is second  # parsed once, never copied

    # Set before any execution runs it: moto would otherwise draw each key at its first use,
    # and two executions drawing at once could file one retry counter under two keys.
    components = list(components_of(first))
    assert len(components) > 500
    assert all("_EvalComponent__heap_key" in vars(component) for component in components)
    assert len({component.heap_key for component in components}) == len(components)


def components_of(root):
    seen, pending = set(), [root]
    while pending:
        value = pending.pop()
        if id(value) in seen or isinstance(value, (type, str, bytes, int, float)):
            continue
        seen.add(id(value))
        if isinstance(value, EvalComponent):
            yield value
        pending.extend(gc.get_referents(value))


def test_task_calls_go_unsigned_with_the_scope_moto_routes_by(emulator):
    from moto.stepfunctions.parser.asl.utils import boto_client

    client = boto_client.boto_client_for("eu-west-1", "sqs")  # as a Task state gets it
    sent: list[dict] = []
    client.meta.events.register_first("before-send", lambda request, **_: sent.append(dict(request.headers)))
    name = f"unsigned-{uuid.uuid4().hex[:8]}"
    client.create_queue(QueueName=name)
    assert "Authorization" not in sent[0]  # no SigV4 computed; the scope is added when handed over

    # Routed to SQS and created in eu-west-1, in the default account, as a signed call would be.
    signed = boto3.client("sqs", endpoint_url=emulator.endpoint_url, region_name="eu-west-1", **CREDENTIALS)
    assert any(url.endswith(f"/{name}") for url in signed.list_queues(QueueNamePrefix=name).get("QueueUrls", []))
    elsewhere = emulator.client("sqs")  # us-east-1
    assert not elsewhere.list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_a_reused_client_sends_the_user_agent_botocore_builds(emulator):
    from botocore.context import start_as_current_context
    from botocore.useragent import register_feature_id
    from moto.stepfunctions.parser.asl.utils import boto_client

    reused = boto_client.boto_client_for("eu-west-1", "sqs")  # as a Task state gets it
    fresh = acceleration._ORIGINAL_CLIENT_FACTORY("eu-west-1", "sqs")  # built as plain moto builds it
    sent: dict[str, list[str]] = {"reused": [], "fresh": []}
    for name, client in (("reused", reused), ("fresh", fresh)):
        client.meta.events.register_first(
            "before-send", lambda request, name=name, **_: sent[name].append(request.headers["User-Agent"])
        )
        client.list_queues(QueueNamePrefix="user-agent")
        client.list_queues(QueueNamePrefix="user-agent")
    assert sent["reused"] == sent["fresh"] and len(set(sent["reused"])) == 1

    creator = reused._user_agent_creator
    for features in ((), ("WAITER",), ("PAGINATOR", "WAITER"), ("WAITER",)):
        with start_as_current_context():
            for feature in features:
                register_feature_id(feature)
            assert creator.to_string() == type(creator).to_string(creator)
