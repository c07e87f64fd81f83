"""`make up`: the embedded emulator with the stack deployed, as a local endpoint
for aws-cli and boto3, until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .deploy import EmbeddedDeployer
from .emulator import EmbeddedEmulator
from .stack import stack_variables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmbeddedEmulator(host=args.host, port=args.port) as emulator:
        outputs = EmbeddedDeployer(emulator, stack_variables()).deploy()
        outputs.write(args.outputs)
        url = emulator.endpoint_url
        print(f"""Stack deployed on the embedded emulator at {url}; outputs in {args.outputs}.

  export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={outputs.region}
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
