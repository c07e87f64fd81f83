"""The deployed stack as Terraform sees it: nothing left to change right after
`terraform apply` (the emulator answers what the provider reads as AWS does),
and the outputs users read."""

from __future__ import annotations

import json


def test_a_plan_right_after_apply_changes_nothing(deployment):
    assert deployment.pending_changes == []


def test_build_outputs_carry_the_api_url_and_the_alarm_topic(stack, tmp_path):
    path = tmp_path / "outputs.json"

    stack.write(path)

    written = json.loads(path.read_text())
    assert written["api_url"] == stack.api_url and stack.api_url.startswith(("http://", "https://"))
    assert written["alarm_topic_arn"] == stack.alarm_topic_arn and ":sns:" in stack.alarm_topic_arn
