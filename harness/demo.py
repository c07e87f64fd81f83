"""`make demo`: the notification workflow on the embedded emulator, one request per
delivery mode, one whose channels misbehave, and one bad request, with what
happened to each; then an order through approval (harness/demo_orders.py)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from harness import demo_orders, program
from harness.deploy.stack import deploy
from harness.deploy.terraform import forget_deployment
from harness.emulator.embedded import EmbeddedEmulator
from harness.emulator.faults import FaultRule
from harness.observe.observer import Execution, Observer
from harness.observe.order_saga import TEST_CATALOGUE, seed_stock
from harness.observe.report import picture

REPORTS = Path("build/reports")

REQUESTS = [
    (
        "text",
        {
            "notification_id": "demo-text",
            "delivery_mode": "text",
            "message_content": "Your code is 481516",
            "user_phone": "+14155550100",
        },
    ),
    (
        "mail",
        {
            "notification_id": "demo-mail",
            "delivery_mode": "mail",
            "subject": "Your invoice",
            "message_content": "Invoice 2342 is ready.",
            "user_email": "ada@example.com",
        },
    ),
    (
        "dual",
        {
            "notification_id": "demo-dual",
            "delivery_mode": "dual",
            "message_content": "Your parcel has left.",
            "user_phone": "+14155550101",
            "user_email": "grace@example.com",
        },
    ),
    # SNS refuses the phone number (not E.164), and SES throttles the first send: the
    # email is retried and delivered, the SMS is recorded as failed.
    (
        "dual, one channel failing",
        {
            "notification_id": "demo-partial",
            "delivery_mode": "dual",
            "message_content": "Your table is ready.",
            "user_phone": "+1-415-555-0102",
            "user_email": "alan@example.com",
        },
    ),
    ("bad request", {"notification_id": "demo-bad", "delivery_mode": "pigeon", "message_content": "Coo"}),
]
FAULTS = {
    "demo-partial": FaultRule(
        service="sesv2", operation="SendEmail", error_code="TooManyRequestsException", status=429, times=1
    ),
}


def show(title: str, request: dict, execution: Execution, observer: Observer) -> None:
    print(f"\n=== {title}: {json.dumps(request)}")
    print(f"execution : {execution.status}" + (f"  error={execution.error}" if execution.error else ""))
    if execution.cause:
        print(f"cause     : {execution.cause}")
    print("path      : " + textwrap.fill(" -> ".join(execution.path), width=100, subsequent_indent=" " * 12))
    record = observer.record(request["notification_id"])
    print(f"record    : {json.dumps(record, default=str) if record else '(none: nothing was recorded)'}")
    sms = observer.sms(request.get("user_phone")) if request.get("user_phone") else []
    emails = observer.emails(request.get("user_email")) if request.get("user_email") else []
    print(f"sms       : {[(m['PhoneNumber'], m['Message']) for m in sms] or '(none)'}")
    print(
        f"emails    : {[(m['Destination']['ToAddresses'], m['Subject'], m['Body']['text_part']) for m in emails] or '(none)'}"
    )
    print(f"picture   : {picture(observer, execution, REPORTS / (request['notification_id'] + '.html'), title)}")


WORKDIR = Path("build/terraform-demo")


def main() -> int:
    try:
        show_every_case()
    finally:
        # The emulator is gone with this process: its state would describe nothing.
        removed = forget_deployment(WORKDIR)
        print(f"\nmake demo done; removed {', '.join(str(path) for path in removed) or 'nothing'}")
    return 0


def show_every_case() -> None:
    with EmbeddedEmulator() as emulator:
        print(
            f"Embedded emulator (moto) on {emulator.endpoint_url}; terraform apply of the root module "
            "(variables.tf defaults) ...",
            flush=True,
        )
        deployment = deploy(WORKDIR, emulator.endpoint_url, var_file=None)
        print(deployment.apply_summary)
        outputs = deployment.outputs
        seed_stock(emulator.client("dynamodb"), outputs.stock_table_name, TEST_CATALOGUE)
        print(json.dumps(outputs.to_dict(), indent=2))
        observer = Observer(outputs)
        for title, request in REQUESTS:
            if request["notification_id"] in FAULTS:
                emulator.faults.add(FAULTS[request["notification_id"]])
                print(f"\n(injected fault: {FAULTS[request['notification_id']].error_code} on the first SES send)")
            show(title, request, observer.run(request), observer)
            emulator.faults.clear()
        demo_orders.run(outputs, observer, REPORTS)


if __name__ == "__main__":
    sys.exit(program.run(main, "make demo"))
