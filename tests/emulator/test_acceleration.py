"""The embedded emulator runs with the speed-ups of harness/emulator/acceleration.py, and
they keep executions apart."""

from __future__ import annotations

from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from harness.emulator import acceleration


def test_the_speed_ups_are_installed_in_the_running_emulator(emulator):
    assert emulator.accelerated
    assert acceleration._applied
    assert ExecutionWorker._get_evaluation_entrypoint.__qualname__.startswith("parse_each_definition_once")
    assert hasattr(json_path.parse, "cache_info")


def test_each_execution_gets_its_own_copy_of_the_parsed_definition(emulator, stack):
    class Details:
        class state_machine_details:
            definition = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'

    worker = ExecutionWorker.__new__(ExecutionWorker)
    worker._evaluation_details = Details
    first, second = worker._get_evaluation_entrypoint(), worker._get_evaluation_entrypoint()
    assert first is not second and type(first) is type(second)
