"""The README's commands, run as a user runs them: each in a process of its own."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

from harness.deploy.stack import StackOutputs
from harness.deploy.terraform import ROOT
from harness.emulator.embedded import free_port
from harness.engines import gaps
from harness.observe.waiting import poll
from harness.serve import BANNER_GAPS

pytestmark = pytest.mark.e2e
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
for inherited in ("MOTO_PORT", "HARNESS_EMULATOR_RUNNING"):  # this process's emulator, not theirs
    ENV.pop(inherited, None)


@pytest.fixture
def up_engine(backend: str) -> str:
    """`make up EMULATOR=...` for this run's engine (an AWS run has a stack of its own already). On
    LocalStack it is pointed at a port where none answers, so it starts one of its own on the host:
    the session's LocalStack holds the session's stack, under the same names."""
    if backend not in ("embedded", "ministack", "localstack"):
        pytest.skip(f"make up is checked on the embedded, ministack and localstack backends, not {backend}")
    return backend


def test_make_up_serves_the_stack_for_aws_cli_users(tmp_path, up_engine):
    # GIVEN `make up EMULATOR=<this run's engine>` (harness.serve) running on a free port
    port, outputs_file = free_port(), tmp_path / "outputs.json"
    env = {**ENV, "LOCALSTACK_HOST": f"127.0.0.1:{port}"} if up_engine == "localstack" else ENV
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.serve",
            "--emulator",
            up_engine,
            "--port",
            str(port),
            "--outputs",
            str(outputs_file),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        poll(
            outputs_file.exists,
            timeout=400,
            describe=lambda: f"no {outputs_file}; server alive: {server.poll() is None}",
        )
        outputs = json.loads(outputs_file.read_text())

        # THEN its outputs are the contract's, and a client that names nothing can use them
        assert set(outputs) == {field.name for field in dataclasses.fields(StackOutputs)}
        assert outputs["endpoint_url"] == f"http://127.0.0.1:{port}"
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=outputs["endpoint_url"],
            region_name=outputs["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        arn = sfn.start_execution(
            stateMachineArn=outputs["notification_state_machine_arn"],
            input=json.dumps({"delivery_mode": "text", "message_content": "hi", "user_phone": "+14155550100"}),
        )["executionArn"]
        status = poll(lambda: (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s, timeout=60)
        assert status == "SUCCEEDED"
        # AND an order from the README runs its functions to CONFIRMED (`make up` loaded the catalogue)
        order = {
            "order_id": f"o-{port}",
            "customer": {"customer_id": "c-42", "email": "ada@example.com"},
            "items": [{"sku": "SKU-MUG", "quantity": 2}],
            "amount_cents": 2400,
            "currency": "USD",
            "payment_token": "tok_success",
        }
        arn = sfn.start_execution(
            stateMachineArn=outputs["order_state_machine_arn"], name=order["order_id"], input=json.dumps(order)
        )["executionArn"]
        poll(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=120)
        described = sfn.describe_execution(executionArn=arn)
        assert json.loads(described.get("output") or "{}").get("status") == "CONFIRMED", described

        # AND the README's curl, starting from the API, answers 202 and the SMS arrives
        body = {
            "notification_id": f"n-{port}",
            "delivery_mode": "text",
            "message_content": "hi from curl",
            "user_phone": "+14155550199",
        }
        curl = subprocess.run(
            [
                "curl",
                "-s",
                "-X",
                "POST",
                f"{outputs['api_url']}/notifications",
                "--aws-sigv4",
                f"aws:amz:{outputs['region']}:execute-api",
                "--user",
                "testing:testing",
                "-H",
                "Content-Type: application/json",
                "-d",
                json.dumps(body),
                "-w",
                "\n%{http_code}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        answer, code = curl.stdout.rsplit("\n", 1)
        assert code == "202", curl.stdout
        assert json.loads(answer)["notification_id"] == body["notification_id"]
        status = poll(
            lambda: (
                (s := sfn.describe_execution(executionArn=json.loads(answer)["executionArn"])["status"]) != "RUNNING"
                and s
            ),
            timeout=60,
        )
        assert status == "SUCCEEDED"
        sms = requests.get(
            f"{outputs['endpoint_url']}/_aws/sns/sms-messages", params={"phoneNumber": body["user_phone"]}, timeout=10
        ).json()["sms_messages"]
        assert [m["Message"] for m in sms[body["user_phone"]]] == ["hi from curl"]

        # AND `make plan` against it finds nothing to change, and Terraform's own outputs agree
        plan = subprocess.run(
            [sys.executable, "-m", "harness.plan", "--port", str(port)],
            cwd=tmp_path,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "No changes" in plan.stdout
        # AND without a port, `make plan` finds the endpoint `make up` wrote
        (tmp_path / "build").mkdir(exist_ok=True)
        shutil.copy(outputs_file, tmp_path / "build" / "outputs.json")
        plan = subprocess.run(
            [sys.executable, "-m", "harness.plan"], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300
        )
        assert plan.returncode == 0, plan.stdout + plan.stderr
        terraform_outputs = json.loads(
            subprocess.run(
                ["terraform", "-chdir=build/terraform", "output", "-json"],
                cwd=tmp_path,
                env=ENV,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert {name: item["value"] for name, item in terraform_outputs.items()} == {
            name: value for name, value in outputs.items() if name != "endpoint_url"
        }
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "aws stepfunctions start-execution" in output
    assert f'curl -X POST "{outputs["api_url"]}/notifications"' in output
    # AND the banner names the engine's own inspection paths and account, and the declared gaps its commands meet
    inspection = "/_ministack/" if up_engine == "ministack" else "/_aws/"
    assert f"curl http://127.0.0.1:{port}{inspection}" in output, output
    account = "123456789012" if up_engine == "embedded" else "000000000000"  # moto's; LocalStack's and MiniStack's
    assert f"(account {account})" in output, output
    for gap in gaps.declared(up_engine, BANNER_GAPS):
        assert f"  {gap.name}: " in output, output
    # AND once it has stopped, nothing describes the dead endpoint: outputs, state, plan; it says what it removed
    assert not outputs_file.exists()
    assert not list((tmp_path / "build" / "terraform").glob("*.tf*plan")) and not list(
        (tmp_path / "build" / "terraform").glob("terraform.tfstate*")
    )
    assert "make up stopped; removed " in output and "review.tfplan" in output, output


def test_make_up_on_a_port_already_taken_says_so_and_exits(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "harness.serve", "--emulator", "embedded", "--port", str(port)],
            cwd=tmp_path,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,  # it used to wait for ever for a server thread that had died
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Port {port} is in use by another program" in done.stderr  # werkzeug's words
    assert not (tmp_path / "build").exists()  # nothing deployed, no outputs left behind


UNREACHABLE_MIRROR = 'provider_installation {\n  network_mirror {\n    url = "https://127.0.0.1:9/"\n  }\n}\n'


def without(*names: str, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in ENV.items() if k not in names}, **extra}


def known_failure(tmp_path: Path, case: str) -> subprocess.CompletedProcess:
    """Run the program a user meets the failure with, as the make target runs it."""
    if case == "no terraform":
        env = without("TERRAFORM", PATH=str(Path(sys.executable).parent))
        return subprocess.run(
            [sys.executable, "-m", "harness.demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    if case == "no provider":
        config = tmp_path / "unreachable.tfrc"
        config.write_text(UNREACHABLE_MIRROR)  # as a registry that cannot be reached
        env = without("TF_PROVIDER_MIRROR", TF_CLI_CONFIG_FILE=str(config))
        return subprocess.run(
            [sys.executable, "-m", "harness.demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    (tmp_path / "build" / "terraform").mkdir(parents=True)
    (tmp_path / "build" / "terraform" / "terraform.tfstate").write_text("{}")
    port = str(free_port())
    return subprocess.run(
        [sys.executable, "-m", "harness.plan", "--port", port],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "case, says",
    [
        ("no terraform", "make demo: terraform is not on the PATH"),
        ("no provider", "TF_PROVIDER_MIRROR"),
        ("nothing answering", "make plan: nothing answers at http://127.0.0.1:"),
    ],
)
def test_a_failure_the_user_can_act_on_is_one_line_that_says_what_to_do(tmp_path, case, says):
    done = known_failure(tmp_path, case)

    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert says in line, line
    assert not (tmp_path / "build" / "terraform-demo" / "terraform.tfstate").exists()


@pytest.mark.backends("embedded", reason="make demo runs on the embedded emulator: it injects faults")
def test_make_demo_shows_every_case(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "harness.demo"], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("execution : SUCCEEDED") >= 4
    assert "error=InvalidDeliveryMode" in run.stdout
    assert "PARTIALLY_DELIVERED" in run.stdout
    assert "(none: nothing was recorded)" in run.stdout
    # AND it leaves no state describing the emulator it stopped, and says so
    assert not (tmp_path / "build" / "terraform-demo" / "terraform.tfstate").exists()
    assert "make demo done; removed build/terraform-demo/terraform.tfstate" in run.stdout

    # Each case comes under its heading, the operator's step included
    blocks = run.stdout.split("\n=== ")[1:]
    approved = next(block for block in blocks if block.startswith("order: large order, approved"))
    assert "operator  : " in approved, approved
    assert not any(block.startswith("order: waiting") for block in blocks)

    # An error is shown by its message, not as a Lambda's stack trace in temporary folders
    declined = next(block for block in blocks if block.startswith("order: declined card"))
    assert "card declined (tok_declined)" in declined
    assert "stackTrace" not in run.stdout and "/tmp/" not in run.stdout

    # One page per execution, the orders' nested notifications included (README: Execution reports)
    pictures = [line.split(":", 1)[1].strip() for line in run.stdout.splitlines() if line.startswith("picture")]
    assert len(pictures) == len(blocks) + 2, run.stdout  # + the two orders' notifications
    assert all(block.count("picture   : ") == (2 if block.startswith("order: ") else 1) for block in blocks)
    if shutil.which("dot"):
        written = sorted(path.name for path in (tmp_path / "build" / "reports").glob("*.html"))
        assert written == sorted(Path(picture).name for picture in pictures)
        assert {
            "demo-order-approved.html",
            "demo-order-approved-notification.html",
            "demo-order-declined.html",
            "demo-order-declined-notification.html",
        } <= set(written)
