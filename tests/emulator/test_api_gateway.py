"""The embedded emulator executes REST APIs as API Gateway does, for what an
API with AWS integrations uses (harness/emulator/api_gateway.py): the Velocity pieces
on their own, the stack's own mapping templates (modules/ingress/templates),
and a small API built with boto3 alone, without Terraform."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from harness.deploy.terraform import ROOT
from harness.emulator import api_gateway
from harness.observe.api_client import EMULATOR_CREDENTIALS
from tests.support import render_template

TEMPLATES = ROOT / "modules" / "ingress" / "templates"
MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"


def template(name: str, **values: str) -> str:
    """A template of modules/ingress as templatefile() renders it."""
    return render_template(TEMPLATES / name, {"id_field": "notification_id", **values})


def context() -> dict:
    return {"requestId": "r-1", "responseOverride": {"header": {}}}


# -- $util.escapeJavaScript ---------------------------------------------------------


@pytest.mark.parametrize(
    "text,escaped",
    [
        ("plain", "plain"),
        ('say "hi"', 'say \\"hi\\"'),
        ("Ada's", "Ada\\'s"),  # Commons Lang escapes ' too: not valid JSON on its own
        ("a\\b", "a\\\\b"),
        ("</b>", "<\\/b>"),
        ("line\nbreak\ttab\r", "line\\nbreak\\ttab\\r"),
        ("\x01", "\\u0001"),
        ("é", "\\u00E9"),
        ("✓", "\\u2713"),
        ("😀", "\\uD83D\\uDE00"),  # Java strings are UTF-16: two escaped surrogates
    ],
)
def test_escape_javascript_is_commons_langs(text, escaped):
    assert api_gateway.escape_javascript(text) == escaped


# -- the stack's mapping templates ----------------------------------------------------


@pytest.mark.parametrize("message", ["plain", 'Ada\'s "parcel" \\ </b>', "✓ 😀 \n\t", "'''", "\\'"])
def test_the_request_template_passes_any_body_through_unchanged(message):
    body = {"notification_id": "n-1", "delivery_mode": "text", "message_content": message, "nested": {"a": [1, 2]}}

    rendered = api_gateway.render(
        template("start_execution.vtl", state_machine_arn=MACHINE_ARN), json.dumps(body), context()
    )

    request = json.loads(rendered)
    assert request == {
        "stateMachineArn": MACHINE_ARN,
        "name": "n-1",
        "input": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    }
    assert json.loads(request["input"]) == body


def test_the_accepted_template_answers_the_execution_and_its_id():
    arn = "arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-notification:n-42"

    rendered = api_gateway.render(
        template("accepted.vtl"), json.dumps({"executionArn": arn, "startDate": 1.7e9}), context()
    )

    assert json.loads(rendered) == {"executionArn": arn, "notification_id": "n-42"}


@pytest.mark.parametrize(
    "error_type,status",
    [
        ("ExecutionAlreadyExists", 409),
        ("com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists", 409),  # AWS's fully named __type
        ("ExecutionLimitExceeded", 429),
        ("ThrottlingException", 429),
        ("InvalidExecutionInput", None),  # stays the integration response's 400
        ("InvalidName", None),
        ("AccessDeniedException", 500),
        ("StateMachineDoesNotExist", 500),
    ],
)
def test_the_refused_template_tells_step_functions_errors_apart(error_type, status):
    answer = {"__type": error_type, "message": "Execution Already Exists: 'arn:...:n-1'"}
    ctx = context()

    body = json.loads(api_gateway.render(template("refused.vtl"), json.dumps(answer), ctx))

    assert ctx["responseOverride"].get("status") == status
    assert body["error"] == (error_type.split("#")[-1] if status != 500 else "InternalError")
    if status == 500:
        assert "arn" not in json.dumps(body)  # the API's own fault: AWS's message is not passed on


def test_a_missing_path_renders_empty():
    assert api_gateway.VelocityInput('{"a": 1}').path("$.b") == ""
    assert api_gateway.VelocityInput('{"a": {"b": "c"}}').json("$.a") == '{"b":"c"}'


def test_validation_errors_sit_inside_a_json_string():
    schema = (ROOT / "definitions" / "notification_request.schema.json").read_text()

    errors = api_gateway.validation_errors(schema, {"notification_id": "n-1", "delivery_mode": "fax"})
    rendered = json.loads('{"detail": "' + api_gateway.validation_error_string(errors) + '"}')

    assert "'message_content' is a required property" in rendered["detail"]
    assert "delivery_mode" in rendered["detail"]


VALID_NOTIFICATION = {"notification_id": "n-1", "message_content": "hi"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"delivery_mode": "fax", "user_phone": "+14155550100"}, "delivery_mode"),
        ({"delivery_mode": "fax", "user_email": "a@example.com"}, "delivery_mode"),
        ({"delivery_mode": "fax"}, "delivery_mode"),
        ({"delivery_mode": "text", "user_phone": "555"}, "user_phone"),
        ({"delivery_mode": "mail", "user_email": "nobody"}, "user_email"),
    ],
)
def test_a_refusal_names_the_wrong_field_first(body, field):
    """A mode the model does not know is the caller's mistake, not a missing recipient."""
    schema = (ROOT / "definitions" / "notification_request.schema.json").read_text()

    errors = api_gateway.validation_errors(schema, {**VALID_NOTIFICATION, **body})

    assert errors and all(error.startswith(f"{field}: ") for error in errors), errors


# -- an API built with boto3 ------------------------------------------------------------

# What modules/ingress/templates/start_execution.vtl does, for a body {"id", ...}.
REQUEST_TEMPLATE = r"""{"stateMachineArn": "%s", "name": "$input.path('$.id')",
 "input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'")"}"""


def signed(url: str, body: str, region: str = "us-east-1", content_type: str = "application/json") -> dict:
    request = AWSRequest("POST", url, data=body.encode(), headers={"Content-Type": content_type})
    SigV4Auth(EMULATOR_CREDENTIALS, "execute-api", region).add_auth(request)
    return dict(request.headers)


@pytest.fixture
def small_api(emulator):
    """POST /things -> StartExecution of a Pass machine, body model {"id": string}, AWS_IAM."""
    iam, sfn, gateway = emulator.client("iam"), emulator.client("stepfunctions"), emulator.client("apigateway")
    suffix = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"api-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(
        name=f"things-{suffix}",
        roleArn=role,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    api = gateway.create_rest_api(name=f"things-{suffix}")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    resource = gateway.create_resource(restApiId=api, parentId=root, pathPart="things")["id"]
    validator = gateway.create_request_validator(restApiId=api, name="body", validateRequestBody=True)["id"]
    gateway.create_model(
        restApiId=api,
        name="Thing",
        contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}),
    )
    gateway.put_method(
        restApiId=api,
        resourceId=resource,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        requestValidatorId=validator,
        requestModels={"application/json": "Thing"},
    )
    gateway.put_integration(
        restApiId=api,
        resourceId=resource,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:states:action/StartExecution",
        credentials=role,
        passthroughBehavior="NEVER",
        requestTemplates={"application/json": REQUEST_TEMPLATE % machine},
    )
    for status, pattern, body in (
        ("200", None, '{"arn": "$input.path(\'$.executionArn\')"}'),
        ("400", "4\\d{2}", '{"type": "$input.path(\'$.__type\')"}'),
    ):
        gateway.put_method_response(restApiId=api, resourceId=resource, httpMethod="POST", statusCode=status)
        gateway.put_integration_response(
            restApiId=api,
            resourceId=resource,
            httpMethod="POST",
            statusCode=status,
            responseTemplates={"application/json": body},
            **({"selectionPattern": pattern} if pattern else {}),
        )
    deployment = gateway.create_deployment(restApiId=api)["id"]
    gateway.create_stage(restApiId=api, stageName="test", deploymentId=deployment)
    url = f"{emulator.endpoint_url}/restapis/{api}/test/_user_request_/things"
    return {"url": url, "api": api, "resource": resource, "machine": machine, "gateway": gateway, "sfn": sfn}


def post(url: str, body: dict | str, **kwargs) -> requests.Response:
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(url, data=data.encode(), headers=signed(url, data, **kwargs), timeout=30)


def test_a_request_starts_an_execution_through_the_aws_integration(small_api):
    answer = post(small_api["url"], {"id": "t-1", "note": "it's"})

    assert answer.status_code == 200, answer.text
    arn = answer.json()["arn"]
    assert arn.endswith(":t-1")
    described = small_api["sfn"].describe_execution(executionArn=arn)
    assert json.loads(described["input"]) == {"id": "t-1", "note": "it's"}


def test_the_selection_pattern_picks_the_answer_for_an_error(small_api):
    post(small_api["url"], {"id": "t-2"})

    answer = post(small_api["url"], {"id": "t-2", "other": True})  # same name, other input

    assert answer.status_code == 400, answer.text
    assert answer.json()["type"].endswith("ExecutionAlreadyExists")


def test_a_stage_serves_its_deployment_not_later_changes(small_api):
    gateway, api = small_api["gateway"], small_api["api"]
    # GIVEN the model changed after the deployment: "id" must now be a number
    gateway.delete_model(restApiId=api, modelName="Thing")
    gateway.create_model(
        restApiId=api,
        name="Thing",
        contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["id"], "properties": {"id": {"type": "number"}}}),
    )

    # THEN the stage still serves the deployed model
    assert post(small_api["url"], {"id": "t-3"}).status_code == 200
    # AND once deployed, the new one
    deployment = gateway.create_deployment(restApiId=api)["id"]
    gateway.update_stage(
        restApiId=api,
        stageName="test",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )
    assert post(small_api["url"], {"id": "t-4"}).status_code == 400


def test_api_gateways_own_errors_use_its_default_gateway_responses(small_api):
    url = small_api["url"]

    unsigned = requests.post(url, data=b'{"id": "t-5"}', timeout=30)
    malformed = post(url, '{"id": ')
    not_json = post(url, "id=t-6", content_type="application/x-www-form-urlencoded")
    no_route = post(url.replace("/things", "/nothing"), {"id": "t-7"})
    wrong_scope = requests.post(
        url,
        data=b'{"id": "t-8"}',
        timeout=30,
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, "
            "SignedHeaders=host, Signature=0"
        },
    )

    assert (unsigned.status_code, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert (malformed.status_code, malformed.json()) == (400, {"message": "Invalid request body"})
    assert (not_json.status_code, not_json.json()) == (415, {"message": "Unsupported Media Type"})
    assert (no_route.status_code, no_route.json()) == (403, {"message": "Missing Authentication Token"})
    assert wrong_scope.status_code == 403
    names = [e["name"] for e in small_api["sfn"].list_executions(stateMachineArn=small_api["machine"])["executions"]]
    assert names == []


def test_a_missing_credentials_role_is_a_configuration_error(small_api):
    gateway = small_api["gateway"]
    integration = gateway.get_integration(
        restApiId=small_api["api"], resourceId=small_api["resource"], httpMethod="POST"
    )
    gateway.put_integration(
        restApiId=small_api["api"],
        resourceId=small_api["resource"],
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=integration["uri"],
        credentials="arn:aws:iam::123456789012:role/nobody",
        passthroughBehavior="NEVER",
        requestTemplates=integration["requestTemplates"],
    )
    for status, pattern in (("200", None), ("400", "4\\d{2}")):  # put_integration starts them afresh
        gateway.put_integration_response(
            restApiId=small_api["api"],
            resourceId=small_api["resource"],
            httpMethod="POST",
            statusCode=status,
            **({"selectionPattern": pattern} if pattern else {}),
        )
    deployment = gateway.create_deployment(restApiId=small_api["api"])["id"]
    gateway.update_stage(
        restApiId=small_api["api"],
        stageName="test",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )

    answer = post(small_api["url"], {"id": "t-9"})

    assert (answer.status_code, answer.json()) == (500, {"message": "Internal server error"})
    assert small_api["sfn"].list_executions(stateMachineArn=small_api["machine"])["executions"] == []


def test_an_unknown_stage_is_not_found(emulator):
    answer = requests.post(f"{emulator.endpoint_url}/restapis/nope/test/_user_request_/things", data=b"{}", timeout=30)

    assert answer.status_code == 404


def test_an_api_of_another_region_is_served_too(emulator):
    """The stage's URL names no region: a stack deployed to eu-west-1 is found."""
    gateway = boto3.client(
        "apigateway",
        endpoint_url=emulator.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    api = gateway.create_rest_api(name=f"elsewhere-{uuid.uuid4().hex[:8]}")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    gateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    gateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    gateway.create_stage(restApiId=api, stageName="test", deploymentId=gateway.create_deployment(restApiId=api)["id"])

    answer = requests.post(
        f"{emulator.endpoint_url}/restapis/{api}/test/_user_request_/nothing", data=b"{}", timeout=30
    )

    assert (answer.status_code, answer.json()) == (403, {"message": "Missing Authentication Token"})  # no route
