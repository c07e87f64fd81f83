"""End to end through the API (docs/ingress.md): requests to `api_url` start the
workflows through API Gateway's own Step Functions integration, with no Lambda
in between. Each test POSTs as a caller would (SigV4-signed) and asserts what
the API answered, what ran, and what was delivered.
"""

from __future__ import annotations

import json
import uuid

import pytest

from harness.emulator.faults import FaultRule
from harness.observe.api_client import ApiClient
from harness.observe.waiting import poll
from tests.support import console

pytestmark = pytest.mark.e2e

# Step Functions' own integration, as the API calls it: no Lambda in between.
START_EXECUTION_URI = "arn:aws:apigateway:{region}:states:action/StartExecution"


@pytest.fixture(scope="module")
def api(stack) -> ApiClient:
    return ApiClient.for_stack(stack)


@pytest.fixture(scope="module")
def names(deployment) -> dict[str, str]:
    """`local.names` as Terraform evaluates it for this deployment."""
    return console(deployment.workspace, "local.names")


def notification(recipient: dict, **fields) -> dict:
    request = {
        "notification_id": recipient["notification_id"],
        "delivery_mode": "text",
        "message_content": f"Your parcel {recipient['notification_id']} is on its way",
        "user_phone": recipient["user_phone"],
    }
    request.update(fields)
    return {key: value for key, value in request.items() if value is not None}


def execution_arn(state_machine_arn: str, name: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"


def executions_named(observer, state_machine_arn: str, name: str) -> list[dict]:
    pages = observer.sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    return [e for page in pages for e in page["executions"] if e["name"] == name]


def execution_count(observer, state_machine_arn: str) -> int:
    pages = observer.sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    return sum(len(page["executions"]) for page in pages)


def accepted(observer, answer, state_machine_arn: str, id_field: str, id_value: str) -> str:
    """Check a 202 and return the execution it started (and let reports draw it)."""
    assert answer.status == 202, answer.describe()
    body = answer.body
    assert body == {"executionArn": execution_arn(state_machine_arn, id_value), id_field: id_value}, body
    observer.started.append(body["executionArn"])
    return body["executionArn"]


# -- a valid request ---------------------------------------------------------------


def test_a_valid_notification_is_accepted_then_delivered(api, observer, stack, recipient):
    # GIVEN a text notification whose message holds what JSON and JavaScript escape
    message = 'Ada\'s "parcel" \\ </b> ✓ 😀 is on its way\nTrack it at https://example.com/t?a=1&b=2'
    request = notification(recipient, message_content=message)

    # WHEN it is POSTed to the API
    answer = api.post("notifications", request)

    # THEN the API answers 202 with the execution it started, named after the notification_id
    arn = accepted(
        observer, answer, stack.notification_state_machine_arn, "notification_id", recipient["notification_id"]
    )
    # AND the execution ran the request as sent, and delivered it
    execution = observer.wait(arn)
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.input == request
    assert execution.output["status"] == "DELIVERED"
    assert [sms["Message"] for sms in observer.sms(recipient["user_phone"])] == [message]
    assert observer.record(recipient["notification_id"])["execution_arn"] == arn


def test_an_order_post_starts_an_order(api, observer, stack, recipient):
    # GIVEN a sku in stock and an order for it
    sku = f"SKU-API-{uuid.uuid4().hex[:8]}"
    observer.dynamodb.put_item(TableName=stack.stock_table_name, Item={"sku": {"S": sku}, "available": {"N": "10"}})
    order_id = f"o-{uuid.uuid4().hex[:16]}"
    order = {
        "order_id": order_id,
        "customer": {"customer_id": "c-api", "email": recipient["user_email"], "phone": recipient["user_phone"]},
        "items": [{"sku": sku, "quantity": 3}],
        "amount_cents": 2400,
        "currency": "USD",
        "payment_token": "tok_success",
    }

    # WHEN it is POSTed to the API
    answer = api.post("orders", order)

    # THEN an execution of the order saga named after the order_id confirms it
    arn = accepted(observer, answer, stack.order_state_machine_arn, "order_id", order_id)
    execution = observer.wait(arn, timeout=60)
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.input == order
    stock = observer.dynamodb.get_item(TableName=stack.stock_table_name, Key={"sku": {"S": sku}}, ConsistentRead=True)[
        "Item"
    ]
    assert stock["available"] == {"N": "7"}


# -- refused at the edge -------------------------------------------------------------


def assert_refused_at_the_edge(answer, observer, stack, before: int, detail: str) -> None:
    assert answer.status == 400, answer.describe()
    assert answer.body["error"] == "BadRequestBody" and answer.body["message"] == "Invalid request body"
    assert detail in answer.body["detail"], answer.body
    assert execution_count(observer, stack.notification_state_machine_arn) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"notification_id": "n-1", "delivery_mode": "text",', id="truncated"),
        pytest.param("delivery_mode=text&message_content=hi", id="form-encoded"),
        pytest.param('{"notification_id": "n-1", delivery_mode: text}', id="unquoted"),
    ],
)
def test_a_malformed_body_is_refused_with_400_and_starts_nothing(api, observer, stack, body):
    before = execution_count(observer, stack.notification_state_machine_arn)

    answer = api.post("notifications", body)

    assert_refused_at_the_edge(answer, observer, stack, before, detail="")


# The detail names a missing property of `required`; AWS words a failed anyOf
# (user_phone for text, user_email for mail) without naming the field.
@pytest.mark.parametrize(
    "missing,delivery_mode,named",
    [
        ("notification_id", "text", True),
        ("delivery_mode", None, True),
        ("message_content", "text", True),
        ("user_phone", "text", False),
        ("user_email", "mail", False),
    ],
)
def test_a_missing_required_field_is_refused_with_400_and_starts_nothing(
    api, observer, stack, recipient, missing, delivery_mode, named
):
    # GIVEN a request without one field its delivery mode requires
    request = notification(recipient, delivery_mode=delivery_mode, user_email=recipient["user_email"])
    request.pop(missing, None)
    before = execution_count(observer, stack.notification_state_machine_arn)

    # WHEN it is POSTed
    answer = api.post("notifications", request)

    # THEN it is refused, saying which field, and nothing started
    assert_refused_at_the_edge(answer, observer, stack, before, detail=missing if named else "")
    assert executions_named(observer, stack.notification_state_machine_arn, recipient["notification_id"]) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"delivery_mode": "fax"}, id="unknown-mode"),
        pytest.param({"message_content": ""}, id="empty-message"),
        pytest.param({"notification_id": "has spaces"}, id="id-not-an-execution-name"),
        pytest.param({"notification_id": "x" * 81}, id="id-too-long"),
        pytest.param({"user_phone": 14155550100}, id="phone-a-number"),
    ],
)
def test_a_misshaped_field_is_refused_with_400(api, observer, stack, recipient, change):
    before = execution_count(observer, stack.notification_state_machine_arn)

    answer = api.post("notifications", notification(recipient, **change))

    assert_refused_at_the_edge(answer, observer, stack, before, detail="")


def test_an_order_without_items_is_refused_with_400(api, observer, stack):
    order_id = f"o-{uuid.uuid4().hex[:16]}"
    answer = api.post(
        "orders",
        {
            "order_id": order_id,
            "customer": {"customer_id": "c", "email": "a@example.com"},
            "amount_cents": 100,
            "currency": "USD",
            "payment_token": "tok_success",
        },
    )

    assert answer.status == 400, answer.describe()
    assert "items" in answer.body["detail"]
    assert executions_named(observer, stack.order_state_machine_arn, order_id) == []


def test_a_body_that_is_not_json_by_content_type_is_refused_with_415(api, observer, stack, recipient):
    answer = api.post("notifications", json.dumps(notification(recipient)), content_type="text/plain")

    assert answer.status == 415, answer.describe()
    assert executions_named(observer, stack.notification_state_machine_arn, recipient["notification_id"]) == []


def test_an_unsigned_request_is_refused_with_403(api, observer, stack, recipient):
    answer = api.post("notifications", notification(recipient), sign=False)

    assert answer.status == 403, answer.describe()
    assert answer.body == {"message": "Missing Authentication Token"}
    assert executions_named(observer, stack.notification_state_machine_arn, recipient["notification_id"]) == []


# -- the id names the execution ------------------------------------------------------


def test_the_same_id_posted_twice_starts_one_execution(api, observer, stack, recipient):
    # GIVEN a notification accepted and delivered
    request = notification(recipient)
    first = api.post("notifications", request)
    arn = accepted(
        observer, first, stack.notification_state_machine_arn, "notification_id", recipient["notification_id"]
    )
    assert observer.wait(arn).status == "SUCCEEDED"

    # WHEN the same request, then another one with the same id, are POSTed again
    again = api.post("notifications", request)
    changed = api.post("notifications", {**request, "message_content": "a second message"})

    # THEN both are answered 409 (the id was accepted before), and nothing more ran or was sent
    for answer in (again, changed):
        assert answer.status == 409, answer.describe()
        assert answer.body["error"] == "ExecutionAlreadyExists"
    assert [
        e["executionArn"]
        for e in executions_named(observer, stack.notification_state_machine_arn, recipient["notification_id"])
    ] == [arn]
    assert len(observer.sms(recipient["user_phone"])) == 1


@pytest.mark.backends("embedded", reason="holds the first execution running with an injected delay")
def test_a_retry_while_the_first_runs_gets_the_same_execution(api, observer, stack, recipient, faults):
    # GIVEN the first POST's execution held in RecordRequest (AWS: the same name
    # and input as a running execution is the same execution)
    faults.add(FaultRule(service="dynamodb", operation="PutItem", delay_seconds=1, times=1))
    request = notification(recipient)
    first = api.post("notifications", request)
    arn = accepted(
        observer, first, stack.notification_state_machine_arn, "notification_id", recipient["notification_id"]
    )
    assert observer.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

    # WHEN the client retries it
    retry = api.post("notifications", request)

    # THEN the retry is answered with the same execution, which delivers once
    assert retry.status == 202, retry.describe()
    assert retry.body["executionArn"] == arn
    assert observer.wait(arn).status == "SUCCEEDED"
    assert len(executions_named(observer, stack.notification_state_machine_arn, recipient["notification_id"])) == 1
    assert len(observer.sms(recipient["user_phone"])) == 1


# -- how it is built -------------------------------------------------------------------


def test_the_api_role_may_only_start_the_two_workflows(observer, stack, names):
    iam = observer._client("iam")
    [policy_name] = iam.list_role_policies(RoleName=names["api_role"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=names["api_role"], PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    [statement] = document["Statement"]

    assert statement["Effect"] == "Allow"
    assert statement["Action"] in ("states:StartExecution", ["states:StartExecution"])
    assert sorted(statement["Resource"]) == sorted(
        [stack.notification_state_machine_arn, stack.order_state_machine_arn]
    )
    assert iam.list_attached_role_policies(RoleName=names["api_role"])["AttachedPolicies"] == []


def test_each_route_calls_step_functions_itself_with_that_role(observer, stack, names, variables):
    gateway = observer._client("apigateway")
    [api_id] = [a["id"] for a in gateway.get_rest_apis()["items"] if a["name"] == names["api"]]
    role_arn = observer._client("iam").get_role(RoleName=names["api_role"])["Role"]["Arn"]
    routes = {r["path"]: r for r in gateway.get_resources(restApiId=api_id)["items"]}

    for path in ("/notifications", "/orders"):
        method = gateway.get_method(restApiId=api_id, resourceId=routes[path]["id"], httpMethod="POST")
        integration = method["methodIntegration"]
        assert method["authorizationType"] == "AWS_IAM"
        assert method["requestValidatorId"] and method["requestModels"]["application/json"]
        assert integration["type"] == "AWS"
        assert integration["uri"] == START_EXECUTION_URI.format(region=stack.region)
        assert integration["credentials"] == role_arn
        assert integration["passthroughBehavior"] == "NEVER"
    stage = gateway.get_stage(restApiId=api_id, stageName=variables["ingress_stage_name"])
    assert stage["tracingEnabled"] is True
    assert stage["accessLogSettings"]["destinationArn"].endswith(f":log-group:{names['api_access_log_group']}")
    settings = stage["methodSettings"]["*/*"]
    assert settings["throttlingBurstLimit"] == variables["ingress_throttling_burst_limit"]
    assert settings["throttlingRateLimit"] == variables["ingress_throttling_rate_limit"]


@pytest.mark.backends("embedded", "localstack", reason="AWS's own invoke URL needs no mapping")
def test_api_url_is_the_stage_where_the_emulator_serves_it(observer, stack, names, variables):
    [api_id] = [a["id"] for a in observer._client("apigateway").get_rest_apis()["items"] if a["name"] == names["api"]]

    assert stack.api_url == f"{stack.endpoint_url}/restapis/{api_id}/{variables['ingress_stage_name']}/_user_request_"


@pytest.mark.backends("embedded", reason="on AWS access log lines arrive minutes later; LocalStack writes none")
def test_the_access_log_says_why_a_request_was_refused(api, observer, names, recipient):
    answer = api.post("notifications", notification(recipient, delivery_mode="fax"))
    request_id = answer.headers["x-amzn-RequestId"]
    logs = observer._client("logs")

    def logged() -> list[dict]:
        events = logs.filter_log_events(logGroupName=names["api_access_log_group"])["events"]
        return [json.loads(e["message"]) for e in events if request_id in e["message"]]

    [line] = poll(logged, timeout=10)
    assert line["status"] == "400" and line["resourcePath"] == "/notifications"
    assert "delivery_mode" in line["validationError"]
    assert line["integrationStatus"] == "-"  # refused before Step Functions was called
    assert recipient["user_phone"] not in json.dumps(line)  # bodies are never logged
