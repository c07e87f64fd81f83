"""The project's LocalStack extension: what LocalStack 2026.3.0 (PyPI `localstack-core`) needs to run
this stack on the host, without Docker or a licence, as AWS would run it.

LocalStack loads it through its plugin entry points (../pyproject.toml) when it is installed in
LocalStack's virtualenv (.tools/localstack; harness/engines/localstack_host.py starts that LocalStack):

- `lambda_process_executor` (process_executor.py): Lambda functions run as local processes, one per
  execution environment (so concurrent invocations run at once), each invocation bounded by the
  function's Timeout. Core LocalStack has only a Docker executor.
- `sesv2` (sesv2.py): the SES v2 API, which the community runtime does not serve, backed by the
  moto store LocalStack already carries; emails it sends are listed at /_aws/ses with SES v1's.
- `dynamodb_local` (corrections.py): DynamoDB Local from a jar on disk and the machine's Java,
  instead of downloads at first use.
- `jsonata_evaluator` (corrections.py): JSONata evaluated by jsonata-python, a port of the Java
  library LocalStack runs, instead of Java 21 and Maven jars downloaded at first use.
- `state_machine_readback`, `function_kms_key_readback` (corrections.py): DescribeStateMachine and
  GetFunction return what they were created with, so `terraform plan` after `apply` is empty.
- `state_entered_time` (corrections.py): `$$.State.EnteredTime` written as AWS writes it.
- `late_task_tokens` (corrections.py): a token answered after its Task ended is `TaskTimedOut`.

SFN_REFACTOR_CORRECTIONS chooses them: `all` (default), `none`, or a comma-separated list of names;
tests/localstack/ starts LocalStack with each on and off. Each correction checks the LocalStack
code it changes and refuses to start on another release (PINNED_VERSION).
"""

from __future__ import annotations

import os

from localstack.runtime import hooks

# The release these corrections were written against (requirements-localstack.txt pins it).
PINNED_VERSION = "2026.3.0"
SETTING = "SFN_REFACTOR_CORRECTIONS"
NAMES = (
    "lambda_process_executor",
    "sesv2",
    "dynamodb_local",
    "jsonata_evaluator",
    "state_machine_readback",
    "function_kms_key_readback",
    "state_entered_time",
    "late_task_tokens",
)


class ExtensionMismatch(RuntimeError):
    """The LocalStack code a correction changes is not what it was written against."""


def enabled(name: str) -> bool:
    value = os.environ.get(SETTING, "all").strip()
    return value == "all" or name in {part.strip() for part in value.split(",")}


def check_version() -> str:
    from localstack.version import __version__ as found

    if found != PINNED_VERSION:
        raise ExtensionMismatch(
            f"localstack_extension was written against localstack-core {PINNED_VERSION}, found {found}: "
            "re-check each correction (tests/localstack/), then update PINNED_VERSION"
        )
    return found


@hooks.on_infra_start(priority=100)
def apply_corrections() -> None:
    from sfn_refactor_localstack import corrections

    check_version()
    for name, correct in corrections.CORRECTIONS.items():
        if enabled(name):
            correct()
