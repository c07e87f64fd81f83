"""`make up`: the embedded emulator with the stack deployed by `terraform apply`,
as a local endpoint for aws-cli and boto3, until interrupted.

The Terraform working directory (build/terraform: state, variables, the override
that points the provider here) stays while it runs, so `make plan` and
`terraform -chdir=build/terraform output` work against it. When it stops, the
state and build/outputs.json go: they would describe an emulator that is gone."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .emulator import EmbeddedEmulator
from .orders import TEST_CATALOGUE, seed_stock
from .stack import deploy

WORKDIR = Path("build/terraform")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None, help="a *.tfvars.json for the root module")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmbeddedEmulator(host=args.host, port=args.port) as emulator:
        print(f"Embedded emulator on {emulator.endpoint_url}; terraform apply in {args.workdir} ...", flush=True)
        deployment = deploy(args.workdir, emulator.endpoint_url, var_file=args.var_file)
        outputs = deployment.outputs
        # The catalogue is data, not infrastructure: loaded after apply, as a business would.
        seed_stock(emulator.client("dynamodb"), outputs.stock_table_name, TEST_CATALOGUE)
        outputs.write(args.outputs)
        url = emulator.endpoint_url
        api = "" if not outputs.api_url else f"""
  curl -X POST "{outputs.api_url}/notifications" \\
      --aws-sigv4 "aws:amz:{outputs.region}:execute-api" --user testing:testing -H 'Content-Type: application/json' \\
      -d '{{"notification_id": "n-1", "delivery_mode": "text", "message_content": "hi", "user_phone": "+14155550100"}}'"""
        print(f"""{deployment.apply_summary}
Stack deployed on the embedded emulator at {url}; outputs in {args.outputs}.
  terraform -chdir={args.workdir} output     # the same outputs, from Terraform's state
  make plan                                  # plan against it: exits 0 when nothing would change

  export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={outputs.region}{api}
  aws stepfunctions start-execution --state-machine-arn {outputs.notification_state_machine_arn} \\
      --input '{{"delivery_mode": "text", "message_content": "hi", "user_phone": "+14155550100"}}'
  curl {url}/_aws/sns/sms-messages      # SMS delivered
  curl {url}/_aws/ses                   # emails delivered
  curl {url}/_harness/faults            # fault rules (POST to add, DELETE to clear)

Ctrl-C stops it.""", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            args.outputs.unlink(missing_ok=True)  # its endpoint_url is about to stop answering
            for state in ("terraform.tfstate", "terraform.tfstate.backup"):
                (args.workdir / state).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
