"""Small corrections that make moto answer as AWS does where the stack depends on it.

Each patch is idempotent, named, and covered by tests/emulator/test_fidelity.py,
which fails if a moto upgrade changes the code a patch relies on.
"""

from __future__ import annotations

import datetime
import logging

from moto.sns import responses as sns_responses
from moto.sns.exceptions import SNSInvalidParameter
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as aws_sdk_task,
)
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

# AWS names aws-sdk integration errors <Service>.<Error>Exception with the service
# in PascalCase (SesV2.MessageRejectedException); moto falls back to the lower-case
# client name (sesv2.MessageRejectedException), which a correct definition never matches.
AWS_SDK_ERROR_PREFIXES = {
    "ses": "Ses",
    "sesv2": "SesV2",
    "cloudwatch": "CloudWatch",
    "sqs": "Sqs",
    "sns": "Sns",
    "lambda": "Lambda",
    "kms": "Kms",
}


def name_aws_sdk_errors_like_aws() -> None:
    aws_sdk_task._SERVICE_ERROR_NAMES.update(AWS_SDK_ERROR_PREFIXES)


def reject_publish_with_several_targets() -> None:
    """AWS: Publish takes exactly one of TopicArn, TargetArn, PhoneNumber. moto takes several."""
    publish = sns_responses.SNSResponse.publish
    if getattr(publish, "checks_single_target", False):
        return

    def publish_to_one_target(self):
        targets = [p for p in ("TopicArn", "TargetArn", "PhoneNumber") if self._get_param(p)]
        if len(targets) > 1:
            raise SNSInvalidParameter(
                "Invalid parameter: only one of TopicArn, TargetArn or PhoneNumber may be given, "
                f"got {', '.join(targets)}"
            )
        return publish(self)

    publish_to_one_target.checks_single_target = True
    sns_responses.SNSResponse.publish = publish_to_one_target


def start_time_as_iso_string() -> None:
    """AWS: $$.Execution.StartTime is an ISO 8601 string ("2026-11-22T14:10:30.123Z").
    moto hands the interpreter a datetime, which string intrinsics cannot take."""
    build = ExecutionWorker._get_evaluation_environment
    if getattr(build, "formats_start_time", False):
        return

    def build_with_iso_start_time(self):
        env = build(self)
        execution = env.states.context_object.context_object_data["Execution"]
        start = execution["StartTime"]
        if isinstance(start, datetime.datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=datetime.timezone.utc)
            stamp = start.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")
            execution["StartTime"] = stamp.replace("+00:00", "Z")
        return env

    build_with_iso_start_time.formats_start_time = True
    ExecutionWorker._get_evaluation_environment = build_with_iso_start_time


def quiet_interpreter_logs() -> None:
    """The interpreter logs every failed state with a repr of the whole definition
    (kilobytes per failure). The execution history carries the same facts."""
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


def apply_all() -> None:
    name_aws_sdk_errors_like_aws()
    reject_publish_with_several_targets()
    start_time_as_iso_string()
    quiet_interpreter_logs()
