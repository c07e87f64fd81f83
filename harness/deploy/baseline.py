"""Deploy the ANTI-PATTERN baseline (lambdas/baseline/, seed 000's coordinator
Lambda and its two workers) to the embedded emulator, next to the stack, so the
tests and `make bench` can measure it against the notification workflow.

It is deliberately not in Terraform: it is the design this project replaces,
kept only to be measured. It is deployed the way such stacks usually were: three
functions with the hard-coded names the coordinator calls, one shared role with
broad permissions, no dead-letter queue, no on-failure destination, nothing
that records a request.

The three functions share one package of lambdas/baseline, zipped as the order
functions' is (scripts/package_lambdas.py, through harness/deploy/packages.py); each
has its own handler.

Emulator note: on AWS the coordinator returns within milliseconds and its
workers run later. On the emulator, an Event invocation (Lambda's retries of a
failed one included, harness/emulator/fidelity.py async_invocations_retry_function_errors)
runs inside the coordinator's Invoke call. So when the coordinator has answered,
its workers have finished, and the coordinator's timeout here is long enough to
cover them (COORDINATOR_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from harness.deploy.packages import package_bytes
from harness.emulator.embedded import CREDENTIALS, EmbeddedEmulator

SOURCE_DIR = Path(__file__).resolve().parents[2] / "lambdas" / "baseline"
COORDINATOR = "notification-coordinator"
# The worker names are hard-coded in lambdas/baseline/coordinator.py: they cannot be changed here.
SMS_SENDER = "sms-sender"
EMAIL_DISPATCHER = "email-dispatcher"
ROLE = "notification-baseline-lambda"
RUNTIME = "python3.11"
WORKER_TIMEOUT_SECONDS = 30  # room for the SDK's own retries of a throttled call (up to 5 attempts)
# Two workers, each up to 3 attempts (Lambda's 2 async retries) of WORKER_TIMEOUT_SECONDS, run inside it here.
COORDINATOR_TIMEOUT_SECONDS = 2 * 3 * WORKER_TIMEOUT_SECONDS + 30

FUNCTIONS = {  # name: (module, timeout, environment variables)
    COORDINATOR: ("coordinator", COORDINATOR_TIMEOUT_SECONDS, ()),
    SMS_SENDER: ("sms_sender", WORKER_TIMEOUT_SECONDS, ()),
    EMAIL_DISPATCHER: ("email_dispatcher", WORKER_TIMEOUT_SECONDS, ("SENDER_EMAIL",)),
}

# One role for all three, with what any of them might need, on every resource: the anti-pattern's way.
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "lambda:InvokeFunction",
                "sns:Publish",
                "ses:SendEmail",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}


@dataclass(frozen=True)
class Baseline:
    """The deployed baseline: invoke its coordinator as API Gateway or SNS would."""

    endpoint_url: str
    region: str
    coordinator: str = COORDINATOR

    def client(self) -> Any:
        # The read timeout bounds the wait: the coordinator cannot run longer than its own timeout.
        config = Config(
            read_timeout=COORDINATOR_TIMEOUT_SECONDS + 30,
            connect_timeout=10,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        return boto3.client(
            "lambda", endpoint_url=self.endpoint_url, region_name=self.region, config=config, **CREDENTIALS
        )

    def invoke(self, request: Any, *, via: str = "api", client: Any = None) -> dict:
        """Run the coordinator on `request` (JSON-encoded unless a string) and return its answer,
        {"statusCode", "body"}. `via`: "api" (an API Gateway proxy event, {"body": ...}) or "sns"
        (an SNS event, {"Records": [{"Sns": {"Message": ...}}]}), the two shapes the seed reads.

        Returns once the coordinator has returned; on the emulator its Event invocations of the
        workers (and Lambda's retries of them) have finished by then."""
        body = request if isinstance(request, str) else json.dumps(request)
        event = {"body": body} if via == "api" else {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": body}}]}
        response = (client or self.client()).invoke(
            FunctionName=self.coordinator, InvocationType="RequestResponse", Payload=json.dumps(event)
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"the coordinator itself failed: {payload}")
        return payload


def deploy_baseline(emulator: EmbeddedEmulator, *, sender_email: str) -> Baseline:
    """Create (or update, if they exist) the three functions and their role. `sender_email`
    is the stack's SES identity, so both designs send from the same verified address."""
    iam = emulator.client("iam")
    try:
        role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role_arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName=ROLE, PolicyDocument=json.dumps(POLICY))

    lambda_client = emulator.client("lambda")
    values = {"SENDER_EMAIL": sender_email}
    code = package_bytes(SOURCE_DIR)
    for name, (module, timeout, variables) in FUNCTIONS.items():
        settings = {
            "Runtime": RUNTIME,
            "Role": role_arn,
            "Handler": f"{module}.handler",
            "Timeout": timeout,
            "MemorySize": 128,
            "Environment": {"Variables": {v: values[v] for v in variables}},
            "Description": "ANTI-PATTERN reference (seed 000); do not deploy",
        }
        try:
            lambda_client.create_function(FunctionName=name, Code={"ZipFile": code}, **settings)
        except lambda_client.exceptions.ResourceConflictException:
            lambda_client.update_function_code(FunctionName=name, ZipFile=code)
            lambda_client.update_function_configuration(FunctionName=name, **settings)
    return Baseline(endpoint_url=emulator.endpoint_url, region=emulator.region)
