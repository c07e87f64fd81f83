"""Every definition as Terraform deployed it follows the project's rules; the
seed designs do not, which shows the rules can fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness.analysis.definition_rules import iter_states, violations
from tests.support import TEMPLATES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_every_template_is_deployed_as_a_state_machine(deployment):
    assert sorted(deployment.definitions) == TEMPLATES


@pytest.mark.parametrize("name", TEMPLATES)
def test_definition_follows_the_rules(deployment, name):
    assert violations(deployment.definitions[name]) == []


@pytest.mark.parametrize(
    "fixture,finding",
    [
        ("seed_000_notification", "no optimized integration ses:sendEmail"),
        ("seed_000_notification", "exactly one of TopicArn, TargetArn, PhoneNumber"),
        ("seed_000_notification", "'SNS.*': ErrorEquals has no wildcards"),
        ("seed_000_notification", "'SES.*': ErrorEquals has no wildcards"),
        ("seed_000_notification", "Task without TimeoutSeconds"),
        ("seed_002_order", "goes to 'RefundAndNotify', which does not exist"),
    ],
)
def test_the_seed_designs_bugs_are_found(fixture, finding):
    found = violations(json.loads((FIXTURES / f"{fixture}.asl.json").read_text()))
    assert any(finding in problem for problem in found), found


def test_the_rules_catch_each_defect_planted_in_a_good_definition(deployment):
    definition = copy.deepcopy(deployment.definitions["notification"])
    states = {name: state for _, name, state, _ in iter_states(definition)}
    del states["SendEmail"]["TimeoutSeconds"]
    states["SendSms"]["Retry"][1]["MaxAttempts"] = 99
    states["SendSms"]["Arguments"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:x"
    states["RecordRequest"]["Catch"].reverse()
    states["PutOutcomeMetric"]["Resource"] = "arn:aws:states:::aws-sdk:cloudwatch:putMetrics"
    states["DecideOutcome"]["Default"] = "Nowhere"

    found = "\n".join(violations(definition))

    for expected in [
        "SendEmail: Task without TimeoutSeconds",
        "MaxAttempts from 0 to 10",
        "exactly one of TopicArn",
        "States.ALL must stand alone in the last entry",
        "cloudwatch has no API action putMetrics",
        "goes to 'Nowhere'",
        "MarkFailed: unreachable",
    ]:
        assert expected in found


def test_every_task_error_route_ends_in_a_named_outcome(deployment):
    """No Catch sends an error to a state that silently succeeds without recording it."""
    definition = deployment.definitions["notification"]
    catch_targets = {c["Next"] for _, _, s, _ in iter_states(definition) for c in s.get("Catch", [])}
    assert catch_targets == {
        "ReportDuplicate",
        "RejectUnrecorded",
        "MarkSmsFailed",
        "MarkEmailFailed",
        "RejectUnrecordedOutcome",
        "PutOutcomeMetric",
        "CheckDelivered",
    }


def test_fail_states_use_only_the_documented_error_names(deployment):
    definition = deployment.definitions["notification"]
    errors = {s["Error"] for _, _, s, _ in iter_states(definition) if s["Type"] == "Fail"}
    assert errors == {"InvalidDeliveryMode", "InvalidRequest", "DeliveryFailed", "RecordingFailed"}
