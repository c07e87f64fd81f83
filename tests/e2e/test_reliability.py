"""Reliability: what each workflow does when the services it calls fail.

Faults are injected into the embedded emulator (harness/emulator/faults.py), so the
definitions' own Retry and Catch handle them exactly as on AWS. Attempts are
read from the execution history and compared with the retry settings the
stack was deployed with (tests/test.tfvars.json). On another backend the
`faults` fixture skips these tests with its reason (see tests/backends.py).

docs/testing.md lists every scenario and what it leaves behind.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import botocore.session
import pytest

from harness.analysis.definition_rules import iter_states
from harness.emulator.faults import FaultRule
from harness.observe.order_saga import OrderObserver, seed_stock
from tests import backends
from tests.e2e.paths import (
    NOTIFICATION_OUTCOME_UNRECORDED,
    NOTIFICATION_UNRECORDED,
    ORDER_DECIDED_BY,
    ORDER_REFUND_NOTE,
)
from tests.e2e.test_notification import CHANNELS, request_for
from tests.support import order_functions

pytestmark = pytest.mark.e2e

# How each channel is faulted: its Task state, the call it makes, a transient
# error (throttling) and the variable that bounds its retries.
CHANNEL = {
    "sms": {
        "state": "SendSms",
        "mark_failed": "MarkSmsFailed",
        "attempts_variable": "sms_max_attempts",
        "call": {"service": "sns", "operation": "Publish", "when": {"PhoneNumber": None}},
        "transient": {"error_code": "Throttled", "status": 400},
        "transient_name": "SNS.ThrottledException",
    },
    "email": {
        "state": "SendEmail",
        "mark_failed": "MarkEmailFailed",
        "attempts_variable": "email_max_attempts",
        "call": {"service": "sesv2", "operation": "SendEmail"},
        "transient": {"error_code": "TooManyRequestsException", "status": 429},
        "transient_name": "SesV2.TooManyRequestsException",
    },
}
OTHER = {"sms": "email", "email": "sms"}


def sent(observer, recipient: dict) -> dict[str, int]:
    return {"sms": len(observer.sms(recipient["user_phone"])), "email": len(observer.emails(recipient["user_email"]))}


def assert_delivered_once(observer, recipient: dict, mode: str) -> None:
    expected = {channel: int(channel in CHANNELS[mode]) for channel in ("sms", "email")}
    assert sent(observer, recipient) == expected


def status_table_call(stack, operation: str, **rule) -> FaultRule:
    """A fault on the status table only (the order stack has tables of its own)."""
    return FaultRule(service="dynamodb", operation=operation, when={"TableName": stack.status_table_name}, **rule)


# Channels: transient failures are retried, within the configured attempts ------------------


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_transient_failures_up_to_the_limit_are_retried_then_delivered(observer, recipient, faults, variables, channel):
    # GIVEN the channel's service throttles as many times as the channel may retry
    spec = CHANNEL[channel]
    retries = variables[spec["attempts_variable"]]
    faults.add(FaultRule(**spec["call"], **spec["transient"], times=retries))

    # WHEN a dual request runs
    execution = observer.run(request_for("dual", recipient))

    # THEN the last allowed attempt delivers: 1 + max attempts calls, each failure in the history
    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert execution.attempts(spec["state"]) == 1 + retries
    assert execution.task_errors(spec["state"]) == [spec["transient_name"]] * retries
    assert execution.attempts(CHANNEL[OTHER[channel]]["state"]) == 1
    assert_delivered_once(observer, recipient, "dual")
    assert observer.record(recipient["notification_id"])[f"{channel}_status"] == "SENT"


def test_executions_running_at_once_each_take_all_their_retries(observer, backend, faults, variables):
    # GIVEN SMS throttles every call, and several text requests start at once: their
    # executions run the same definition side by side
    spec = CHANNEL["sms"]
    retries = variables[spec["attempts_variable"]]
    faults.add(FaultRule(**spec["call"], **spec["transient"]))
    recipients = [backends.recipient_for(backend) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=len(recipients)) as pool:
        arns = list(pool.map(lambda recipient: observer.start(request_for("text", recipient)), recipients))

    # THEN each counted its own attempts: 1 + max attempts, none taken by another
    for arn in arns:
        execution = observer.wait(arn)
        assert execution.attempts(spec["state"]) == 1 + retries, execution.describe()
        assert execution.task_errors(spec["state"]) == [spec["transient_name"]] * (1 + retries)
        assert (execution.status, execution.error) == ("FAILED", "DeliveryFailed"), execution.describe()
    assert all(observer.record(recipient["notification_id"])["status"] == "FAILED" for recipient in recipients)


@pytest.mark.parametrize("mode,channel", [("text", "sms"), ("mail", "email"), ("dual", "sms"), ("dual", "email")])
def test_transient_failures_beyond_the_limit_fail_the_channel_after_exactly_one_plus_max_attempts(
    observer, recipient, faults, variables, mode, channel
):
    # GIVEN the channel's service throttles every call
    spec = CHANNEL[channel]
    retries = variables[spec["attempts_variable"]]
    faults.add(FaultRule(**spec["call"], **spec["transient"]))

    # WHEN a request for the mode runs
    execution = observer.run(request_for(mode, recipient))

    # THEN the channel gave up after 1 + max attempts and is recorded FAILED with the error
    assert execution.attempts(spec["state"]) == 1 + retries, execution.describe()
    assert execution.task_errors(spec["state"]) == [spec["transient_name"]] * (1 + retries)
    assert spec["mark_failed"] in execution.path
    record = observer.record(recipient["notification_id"])
    assert record[f"{channel}_status"] == "FAILED"
    assert record[f"{channel}_detail"] == spec["transient_name"]
    if mode == "dual":
        # AND the other channel was delivered all the same
        assert execution.status == "SUCCEEDED", execution.describe()
        assert execution.output[OTHER[channel]] == "SENT"
        assert record["status"] == "PARTIALLY_DELIVERED"
        assert sent(observer, recipient) == {channel: 0, OTHER[channel]: 1}
    else:
        assert (execution.status, execution.error) == ("FAILED", "DeliveryFailed"), execution.describe()
        assert record["status"] == "FAILED"
        assert sent(observer, recipient) == {"sms": 0, "email": 0}
    assert observer.wait_for_outcome_event(recipient["notification_id"])["status"] == record["status"]


# Channels: permanent failures are not retried ---------------------------------------------

# The errors the notification definition names as permanent for each channel (its
# MaxAttempts 0 retrier), one test each; the first test below holds this list to
# the deployed definition.
PERMANENT_ERRORS = {
    "sms": (
        "SNS.InvalidParameterException",
        "SNS.InvalidParameterValueException",
        "SNS.AuthorizationErrorException",
        "SNS.OptedOutException",
    ),
    "email": (
        "SesV2.MessageRejectedException",
        "SesV2.BadRequestException",
        "SesV2.NotFoundException",
        "SesV2.AccountSuspendedException",
        "SesV2.SendingPausedException",
        "SesV2.MailFromDomainNotVerifiedException",
    ),
}


@pytest.mark.parametrize("channel", CHANNEL)
def test_the_permanent_errors_tested_are_those_the_deployed_definition_names(deployment, channel):
    state = CHANNEL[channel]["state"]
    body = next(body for _, name, body, _ in iter_states(deployment.definitions["notification"]) if name == state)
    named = [error for retrier in body["Retry"] if retrier["MaxAttempts"] == 0 for error in retrier["ErrorEquals"]]
    assert sorted(named) == sorted(PERMANENT_ERRORS[channel])


def wire_error(service: str, error_name: str) -> tuple[str, int]:
    """The code and HTTP status `service` answers for the Step Functions error `error_name`:
    "SNS.OptedOutException" -> ("OptedOut", 400), "SesV2.MessageRejectedException" ->
    ("MessageRejected", 400), from the service's own model."""
    shape_name = error_name.split(".", 1)[1]
    model = botocore.session.get_session().get_service_model(service)
    for shape in model.error_shapes:
        if shape_name in (shape.name, f"{shape.name}Exception"):
            error = shape.metadata.get("error", {})
            return error.get("code", shape.name), error.get("httpStatusCode", 400)
    raise LookupError(f"{service} has no error {shape_name}")


PERMANENT = [(channel, error) for channel, errors in PERMANENT_ERRORS.items() for error in errors]


@pytest.mark.parametrize("channel,error", PERMANENT, ids=[error for _, error in PERMANENT])
def test_a_permanent_failure_is_not_retried_and_the_other_channel_is_delivered(
    observer, recipient, faults, channel, error
):
    # GIVEN the channel's service answers an error the definition names as permanent
    spec = CHANNEL[channel]
    code, status = wire_error(spec["call"]["service"], error)
    faults.add(FaultRule(**spec["call"], error_code=code, status=status))

    # WHEN a dual request runs
    execution = observer.run(request_for("dual", recipient))

    # THEN one attempt, the channel FAILED with that error, the other channel delivered
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.attempts(spec["state"]) == 1, execution.describe()
    assert execution.task_errors(spec["state"]) == [error]
    assert execution.output["status"] == "PARTIALLY_DELIVERED"
    assert (execution.output[channel], execution.output[OTHER[channel]]) == ("FAILED", "SENT")
    record = observer.record(recipient["notification_id"])
    assert (record["status"], record[f"{channel}_detail"]) == ("PARTIALLY_DELIVERED", error)
    assert sent(observer, recipient) == {channel: 0, OTHER[channel]: 1}
    # AND the outcome was announced
    event = observer.wait_for_outcome_event(recipient["notification_id"])
    assert (event["status"], event[channel], event[OTHER[channel]]) == ("PARTIALLY_DELIVERED", "FAILED", "SENT")


# The status table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error_code,status,transient",
    [
        ("InternalServerError", 500, True),
        ("ProvisionedThroughputExceededException", 400, True),
        ("ThrottlingException", 400, True),
        ("ResourceNotFoundException", 400, False),
        ("AccessDeniedException", 400, False),
    ],
)
def test_a_request_that_cannot_be_recorded_sends_nothing(
    observer, recipient, faults, variables, stack, error_code, status, transient
):
    # GIVEN the status table refuses every write of the request
    faults.add(status_table_call(stack, "PutItem", error_code=error_code, status=status))

    # WHEN a dual request runs
    execution = observer.run(request_for("dual", recipient))

    # THEN it fails RecordingFailed before any channel, after the retries a transient error gets
    assert (execution.status, execution.error) == ("FAILED", "RecordingFailed"), execution.describe()
    assert execution.path[-2:] == NOTIFICATION_UNRECORDED
    assert execution.attempts("RecordRequest") == (1 + variables["service_max_attempts"] if transient else 1)
    # AND nothing was recorded, sent or announced
    assert observer.record(recipient["notification_id"]) is None
    assert sent(observer, recipient) == {"sms": 0, "email": 0}
    assert observer.outcome_events(recipient["notification_id"]) == []


def test_a_transient_failure_to_record_is_retried_then_delivered(observer, recipient, faults, variables, stack):
    faults.add(
        status_table_call(
            stack,
            "PutItem",
            error_code="ProvisionedThroughputExceededException",
            times=variables["service_max_attempts"],
        )
    )

    execution = observer.run(request_for("dual", recipient))

    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert execution.attempts("RecordRequest") == 1 + variables["service_max_attempts"]
    assert_delivered_once(observer, recipient, "dual")


def test_an_outcome_that_cannot_be_recorded_fails_after_the_deliveries(observer, recipient, faults, variables, stack):
    # GIVEN the status table accepts the request but refuses every update
    faults.add(status_table_call(stack, "UpdateItem", error_code="InternalServerError", status=500))

    # WHEN a dual request runs
    execution = observer.run(request_for("dual", recipient))

    # THEN both messages went out, then the execution failed RecordingFailed
    assert (execution.status, execution.error) == ("FAILED", "RecordingFailed"), execution.describe()
    assert execution.path[-2:] == NOTIFICATION_OUTCOME_UNRECORDED
    assert execution.attempts("RecordOutcome") == 1 + variables["service_max_attempts"]
    assert_delivered_once(observer, recipient, "dual")
    # AND what it leaves: the record stays IN_PROGRESS, with no channel results, pointing
    # at the execution whose history holds them; no event, no metric
    record = observer.record(recipient["notification_id"])
    assert record["status"] == "IN_PROGRESS" and record["execution_arn"] == execution.arn
    assert "sms_status" not in record and "completed_at" not in record
    assert observer.outcome_events(recipient["notification_id"]) == []
    assert "PublishOutcomeEvent" not in execution.path and "PutOutcomeMetric" not in execution.path
    channels = next(e for e in execution.history if e["type"] == "ParallelStateExited")
    assert json.loads(channels["stateExitedEventDetails"]["output"])[0]["status"] == "SENT"  # [sms, email]

    # AND a retry of the same notification is a duplicate: it re-sends nothing (at most once)
    faults.clear()
    again = observer.run(request_for("dual", recipient))
    assert again.output["status"] == "DUPLICATE", again.describe()
    assert_delivered_once(observer, recipient, "dual")


# Best-effort steps: the outcome event and the metric ----------------------------------------

BEST_EFFORT = {
    "event": ("PublishOutcomeEvent", {"service": "sns", "operation": "Publish", "when": {"TopicArn": None}}),
    "metric": ("PutOutcomeMetric", {"service": "cloudwatch", "operation": "PutMetricData"}),
}


@pytest.mark.parametrize("outcome", ["DELIVERED", "FAILED"])
@pytest.mark.parametrize("step", ["event", "metric"])
def test_a_failing_event_or_metric_leaves_the_outcome_unchanged(observer, recipient, faults, variables, step, outcome):
    # GIVEN the outcome event (or the metric) fails on every attempt
    state, call = BEST_EFFORT[step]
    faults.add(FaultRule(**call, error_code="InternalError", status=500))
    request = request_for("text", recipient)
    if outcome == "FAILED":
        request["user_phone"] = "+1-415-555-0100"  # SNS refuses it: the only channel fails

    # WHEN the request runs
    execution = observer.run(request)

    # THEN the notification ends as it would have, with the failed step in its history
    assert execution.attempts(state) == 1 + variables["service_max_attempts"], execution.describe()
    assert len(execution.task_errors(state)) == 1 + variables["service_max_attempts"]
    if outcome == "DELIVERED":
        assert (execution.status, execution.output["status"]) == ("SUCCEEDED", "DELIVERED"), execution.describe()
    else:
        assert (execution.status, execution.error) == ("FAILED", "DeliveryFailed"), execution.describe()
    assert observer.record(recipient["notification_id"])["status"] == outcome
    assert execution.path[-2] == "CheckDelivered" and "PutOutcomeMetric" in execution.path
    events = observer.outcome_events(recipient["notification_id"])
    assert events == [] if step == "event" else [e["status"] for e in events] == [outcome]


def test_a_permanent_event_failure_is_not_retried(observer, recipient, faults):
    faults.add(FaultRule(**BEST_EFFORT["event"][1], error_code="AuthorizationError", status=403))

    execution = observer.run(request_for("mail", recipient))

    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert execution.task_errors("PublishOutcomeEvent") == ["SNS.AuthorizationErrorException"]


# A repeated notification is delivered once ---------------------------------------------------


def start_error(call) -> str | None:
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def test_the_same_execution_name_while_running_returns_the_same_execution(observer, recipient, faults, stack):
    # GIVEN an execution held running: its first write to the status table takes two seconds
    faults.add(status_table_call(stack, "PutItem", delay_seconds=2, times=1))
    request = request_for("dual", recipient)
    name = f"repeat-{uuid.uuid4()}"
    first = observer.start(request, name=name)

    # WHEN the same name and input are started again, several times at once, while it runs
    with ThreadPoolExecutor(max_workers=4) as pool:
        again = list(pool.map(lambda _: observer.start(request, name=name), range(4)))

    # THEN every call returned that same execution (Standard: StartExecution is idempotent)
    assert set(again) == {first}
    # AND the same name with another input is refused while it runs
    changed = dict(request, message_content="another text")
    assert start_error(lambda: observer.start(changed, name=name)) == "ExecutionAlreadyExists"
    execution = observer.wait(first)
    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert_delivered_once(observer, recipient, "dual")


def test_the_same_execution_name_after_it_ended_is_refused(observer, recipient):
    # GIVEN a notification that was delivered under an execution name
    request = request_for("dual", recipient)
    name = f"repeat-{uuid.uuid4()}"
    assert observer.run(request, name=name).output["status"] == "DELIVERED"

    # WHEN the same name and input are started again
    refused = start_error(lambda: observer.start(request, name=name))

    # THEN StartExecution refuses it and nothing more is sent
    assert refused == "ExecutionAlreadyExists"
    assert_delivered_once(observer, recipient, "dual")


def test_concurrent_executions_of_one_notification_deliver_exactly_once(observer, recipient):
    # GIVEN eight executions of one notification_id, under different names
    request = request_for("dual", recipient)

    # WHEN they are all started at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        arns = list(pool.map(lambda _: observer.start(request), range(8)))
    executions = [observer.wait(arn) for arn in arns]

    # THEN exactly one delivered and recorded it; every other one is a duplicate that sent nothing
    statuses = sorted(e.output["status"] for e in executions)
    assert statuses == ["DELIVERED"] + ["DUPLICATE"] * 7, [e.describe() for e in executions]
    winner = next(e for e in executions if e.output["status"] == "DELIVERED")
    assert observer.record(recipient["notification_id"])["execution_arn"] == winner.arn
    assert_delivered_once(observer, recipient, "dual")
    assert len(observer.outcome_events(recipient["notification_id"])) == 1


# The order saga compensates whatever fails after a reservation ------------------------------
#
# Each scenario injects one failure at a step that runs once the order's stock
# may be reserved, and checks the saga's promise (docs/orders.md): the stock
# comes back, money taken is refunded, refund before release, the record says
# what happened, the customer is told. Failures of ConfirmOrder and of the
# refund itself are in tests/e2e/test_order.py.


@pytest.fixture(scope="module")
def orders(observer) -> OrderObserver:
    # The test catalogue (Terraform leaves stock to the business): these orders must find their items in stock.
    seed_stock(observer.dynamodb, observer.outputs.stock_table_name)
    return OrderObserver(observer)


def new_order(*, amount_cents: int = 2400, token: str = "tok_success") -> dict:
    digits = uuid.uuid4().int % 10**9
    return {
        "order_id": f"o-{uuid.uuid4().hex[:16]}",
        "customer": {
            "customer_id": f"c-{uuid.uuid4().hex[:8]}",
            "phone": f"+1415{digits:09d}"[:12],
            "email": f"buyer-{uuid.uuid4().hex[:12]}@example.com",
        },
        "items": [{"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-POSTER", "quantity": 1}],
        "amount_cents": amount_cents,
        "currency": "USD",
        "payment_token": token,
    }


@pytest.fixture(scope="module")
def function_arns(deployment) -> dict[str, str]:
    """Each order function's ARN as deployed (the order definition's FunctionName), by its key."""
    return {key: function["arn"] for key, function in order_functions(deployment.plan).items()}


def lambda_fails(function_arns: dict[str, str], key: str, *, after: bool = False) -> FaultRule:
    """Every invocation of one order function fails with Lambda's ServiceException (500):
    before the function runs, or (`after`) once it has run and its answer is lost."""
    return FaultRule(
        service="lambda",
        operation="Invoke",
        error_code="ServiceException",
        status=500,
        after=after,
        when={"FunctionName": function_arns[key]},
    )


def record_failure_fails(stack, observer) -> FaultRule:
    """Every attempt of the RecordFailure state's write fails (matched by its UpdateExpression, as deployed)."""
    definition = json.loads(
        observer.sfn.describe_state_machine(stateMachineArn=stack.order_state_machine_arn)["definition"]
    )
    expression = definition["States"]["RecordFailure"]["Arguments"]["UpdateExpression"]
    return FaultRule(
        service="dynamodb",
        operation="UpdateItem",
        error_code="InternalServerError",
        status=500,
        when={"TableName": stack.orders_table_name, "UpdateExpression": expression},
    )


# id: (order arguments, faults(observer, function ARNs, stack, order), expected); "failed" is the
# state that decides the outcome, "notice" the one that picks the notice's last sentence (tests/e2e/paths.py).
DECIDED, NOTE = ORDER_DECIDED_BY, ORDER_REFUND_NOTE
SAGA = {
    "fraud-check-fails": (
        {},
        lambda o, f, s, order: [lambda_fails(f, "check_fraud")],
        {
            "error": "OrderFailed",
            "status": "FAILED",
            "failed": DECIDED["fraud check failed"],
            "failure_error": "Lambda.ServiceException",
            "refund": "NOT_CHARGED",
            "release": "RELEASED",
            "payment": None,
            "notice": NOTE["NOT_CHARGED"],
        },
    ),
    "reservation-answer-lost": (
        {},
        lambda o, f, s, order: [lambda_fails(f, "reserve_inventory", after=True)],
        {
            "error": "OrderFailed",
            "status": "FAILED",
            "failed": DECIDED["reservation failed"],
            "failure_error": "Lambda.ServiceException",
            "refund": "NOT_CHARGED",
            "release": "RELEASED",
            "payment": None,
            "notice": NOTE["NOT_CHARGED"],
        },
    ),
    "approval-request-not-sent": (
        {"amount_cents": 150_000},
        lambda o, f, s, order: [
            FaultRule(
                service="sqs",
                operation="SendMessage",
                error_code="KmsThrottled",
                when={"QueueUrl": s.approval_queue_url},
            )
        ],
        {
            "error": "OrderFailed",
            "status": "FAILED",
            "failed": DECIDED["approval request failed"],
            "failure_error": None,
            "refund": "NOT_CHARGED",
            "release": "RELEASED",
            "payment": None,
            "notice": NOTE["NOT_CHARGED"],
        },
    ),
    "charge-call-fails": (
        {},
        lambda o, f, s, order: [lambda_fails(f, "charge_payment")],
        {
            "error": "OrderFailed",
            "status": "FAILED",
            "failed": DECIDED["charge failed"],
            "failure_error": "Lambda.ServiceException",
            "refund": "NOT_CHARGED",
            "release": "RELEASED",
            "payment": None,
            "notice": NOTE["NOT_CHARGED"],
        },
    ),
    "charge-answer-lost": (
        {},
        lambda o, f, s, order: [lambda_fails(f, "charge_payment", after=True)],
        {
            "error": "OrderFailed",
            "status": "FAILED",
            "failed": DECIDED["charge failed"],
            "failure_error": "Lambda.ServiceException",
            "refund": "REFUNDED",
            "release": "RELEASED",
            "payment": "REFUNDED",
            "notice": NOTE["REFUNDED"],
        },
    ),
    "release-fails": (
        {"token": "tok_declined"},
        lambda o, f, s, order: [lambda_fails(f, "release_inventory")],
        {
            "error": "CompensationFailed",
            "status": "CANCELLED",
            "failed": DECIDED["payment declined"],
            "failure_error": "PaymentDeclined",
            "refund": "NOT_CHARGED",
            "release": "FAILED",
            "payment": "DECLINED",
            "notice": NOTE["NOT_CHARGED"],
            "stock_kept": True,
        },
    ),
    "failure-record-fails": (
        {"token": "tok_declined"},
        lambda o, f, s, order: [record_failure_fails(s, o)],
        {
            "error": "PaymentDeclined",
            "status": "PENDING",
            "failed": DECIDED["payment declined"],
            "failure_error": None,
            "refund": None,
            "release": None,
            "payment": "DECLINED",
            "notice": NOTE["NOT_CHARGED"],
        },
    ),
    "cancellation-notice-fails": (
        {"token": "tok_declined"},
        lambda o, f, s, order: [
            FaultRule(
                service="stepfunctions",
                operation="StartExecution",
                error_code="ExecutionLimitExceeded",
                when={"name": f"order-{order['order_id']}-cancelled"},
            )
        ],
        {
            "error": "PaymentDeclined",
            "status": "CANCELLED",
            "failed": DECIDED["payment declined"],
            "failure_error": "PaymentDeclined",
            "refund": "NOT_CHARGED",
            "release": "RELEASED",
            "payment": "DECLINED",
            "notice": None,
        },
    ),
}


@pytest.mark.parametrize("scenario", SAGA)
def test_the_order_saga_compensates_a_failure_after_the_reservation(
    orders, faults, variables, stack, observer, function_arns, scenario
):
    # GIVEN an order, and one failure injected at a step after its stock is reserved
    arguments, make_faults, expect = SAGA[scenario]
    order = new_order(**arguments)
    for rule in make_faults(observer, function_arns, stack, order):
        faults.add(rule)
    skus = [item["sku"] for item in order["items"]]
    before = orders.stock(*skus)

    # WHEN it is placed
    execution = orders.run(order, timeout=60)

    # THEN it fails with the outcome's error, through the failing step and the compensation
    assert all(rule["hits"] for rule in faults.rules()), faults.rules()
    assert (execution.status, execution.error) == ("FAILED", expect["error"]), execution.describe()
    path = execution.path
    assert expect["failed"] in path, execution.describe()
    assert "ReleaseInventory" in path
    if "RefundPayment" in path:
        assert path.index("RefundPayment") < path.index("ReleaseInventory")  # reverse order of the side effects

    # AND the stock is back (unless its release is what failed) and no money is kept
    after = orders.stock(*skus)
    if expect.get("stock_kept"):
        assert after == {item["sku"]: before[item["sku"]] - item["quantity"] for item in order["items"]}
    else:
        assert after == before
    payment = orders.payment(order["order_id"])
    assert (payment or {}).get("status") == expect["payment"], payment
    if payment and payment["status"] == "REFUNDED":
        assert payment["charge_id"] and payment["refund_id"]

    # AND the record says what happened
    record = orders.order(order["order_id"])
    assert record["status"] == expect["status"], record
    if expect["status"] != "PENDING":
        assert (record["refund_status"], record["release_status"]) == (expect["refund"], expect["release"])
        if expect["failure_error"]:
            assert record["failure_error"] == expect["failure_error"], record
    else:  # the failure could not be recorded: the execution history is the record
        assert execution.attempts("RecordFailure") == 1 + variables["service_max_attempts"]
        assert "refund_status" not in record and record.get("reservation_status") == "RELEASED"

    # AND the customer was told, once (or the failed notice is recorded)
    notice = f"order-{order['order_id']}-cancelled"
    if expect["notice"]:
        assert expect["notice"] in path
        nested = orders.notification_execution(notice)
        assert nested.status == "SUCCEEDED" and nested.output["status"] == "DELIVERED", nested.describe()
        assert len(observer.emails(order["customer"]["email"])) == 1
    else:
        assert record["notification_status"] == "FAILED"
        assert execution.attempts("NotifyCustomer") == 1 + variables["service_max_attempts"]
        assert observer.emails(order["customer"]["email"]) == []
