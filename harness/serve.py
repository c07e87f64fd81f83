"""`make up`: the stack deployed by `terraform apply` on the chosen engine, as a
local endpoint for aws-cli and boto3, until interrupted.

`--emulator embedded` (default) runs moto in this process; `ministack` starts the
pinned MiniStack (`make ministack` installs it) and stops it and its Lambda
workers on exit; `localstack` deploys to the LocalStack answering at
LOCALSTACK_HOST, or starts one in Docker when a Docker engine runs and
LOCALSTACK_AUTH_TOKEN is set (harness/engines/__init__.py).

The Terraform working directory (build/terraform: state, variables, the override
that points the provider at the engine) stays while it runs, so `make plan` and
`terraform -chdir=build/terraform output` work against it. When it stops, the
state and build/outputs.json go: they would describe an endpoint that is gone
(on a LocalStack this command did not start, the stack is destroyed first)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

import boto3

from harness import program
from harness.deploy.stack import ServedStack, deploy, variables_digest
from harness.deploy.terraform import ROOT, forget_deployment
from harness.engines import ENGINES, EngineUnavailable, gaps, running
from harness.observe.order_saga import TEST_CATALOGUE, seed_stock

WORKDIR = Path("build/terraform")
# What a declared engine gap does to the commands the banner shows (harness/engines/gaps.py).
BANNER_GAPS = {
    "api-gateway-step-functions-integration": "the API's POST (the curl above) answers 504, starting nothing",
    "api-gateway-validation-error-string": "a 400's detail is the literal $context.error.validationErrorString",
    "metric-math-alarms": "make plan exits 2: the alarms read back unlike what was created",
}


def gaps_met(engine: str) -> str:
    met = gaps.declared(engine, BANNER_GAPS)
    if not met:
        return ""
    lines = "\n".join(f"  {gap.name}: {BANNER_GAPS[gap.name]}" for gap in met)
    return f"\nDeclared gaps of {engine} that the commands above meet (docs/engines.md):\n{lines}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--emulator", choices=ENGINES, default="embedded", help="the engine to serve the stack on")
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None, help="a *.tfvars.json for the root module")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument(
        "--hot-reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Lambda Tasks run the handlers in lambdas/ as saved (default: on for the embedded engine)",
    )
    args = parser.parse_args(argv)
    if args.hot_reload and args.emulator != "embedded":
        print(f"make up EMULATOR={args.emulator}: hot reload needs the embedded engine (HOT_RELOAD=0)", file=sys.stderr)
        return 2
    hot_reload = args.emulator == "embedded" if args.hot_reload is None else args.hot_reload

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        try:
            engine = stack.enter_context(running(args.emulator, host=args.host, port=args.port))
        except EngineUnavailable as unavailable:
            print(f"make up EMULATOR={args.emulator}: {unavailable}", file=sys.stderr)
            return 2
        url = engine.endpoint_url
        if hot_reload:
            from harness.emulator import lambda_seam  # the embedded engine runs in this process

            lambda_seam.hot_reload(ROOT / "lambdas")
        print(f"{engine.name}: {engine.detail}, on {url}; terraform apply in {args.workdir} ...", flush=True)
        deployment = deploy(args.workdir, url, var_file=args.var_file)
        outputs = deployment.outputs

        def client(service: str):
            return boto3.client(
                service,
                endpoint_url=url,
                region_name=outputs.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        # The catalogue is data, not infrastructure: loaded after apply, as a business would.
        seed_stock(
            client("dynamodb"),
            outputs.stock_table_name,
            TEST_CATALOGUE,
        )
        outputs.write(args.outputs)
        var_file = args.var_file.resolve() if args.var_file else None
        ServedStack(
            engine=engine.name,
            endpoint_url=url,
            workdir=str(args.workdir.resolve()),
            var_file=str(var_file) if var_file else None,
            variables=deployment.variables,
            variables_digest=variables_digest(var_file),
            hot_reload=hot_reload,
        ).write(args.outputs)
        mode = (
            f"hot reload on: Lambda Tasks run {ROOT / 'lambdas'} as saved (HOT_RELOAD=0: the deployed packages)"
            if hot_reload
            else "hot reload off: Lambda Tasks run the deployed packages (make apply deploys an edit)"
        )
        api = (
            ""
            if not outputs.api_url
            else f"""
  curl -X POST "{outputs.api_url}/notifications" \\
      --aws-sigv4 "aws:amz:{outputs.region}:execute-api" --user testing:testing -H 'Content-Type: application/json' \\
      -d '{{"notification_id": "n-1", "delivery_mode": "text", "message_content": "hi", "user_phone": "+14155550100"}}'"""
        )
        sms_path, emails_path = engine.delivery_paths
        faults = (
            f"\n  curl {url}/_harness/faults            # fault rules (POST to add, DELETE to clear, DELETE ?id=N one)"
            if engine.emulator is not None
            else ""
        )
        account = client("sts").get_caller_identity()["Account"]
        print(
            f"""{deployment.apply_summary}
Stack deployed on {engine.name} at {url} (account {account}); outputs in {args.outputs}.
  terraform -chdir={args.workdir} output     # the same outputs, from Terraform's state
  make plan                                  # plan against it: exits 0 when nothing would change
  make apply                                 # apply the working tree's edits to it
  make test-stack                            # the end-to-end tests against it
  make watch                                 # on each save: apply what changed, rerun its tests
{mode}

  export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={outputs.region}{api}
  aws stepfunctions start-execution --state-machine-arn {outputs.notification_state_machine_arn} \\
      --input '{{"delivery_mode": "text", "message_content": "hi", "user_phone": "+14155550100"}}'
  curl {url}{sms_path}      # SMS delivered
  curl {url}{emails_path}   # emails delivered{faults}
{gaps_met(engine.name)}
Ctrl-C stops it.""",
            flush=True,
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if not engine.started_here:
                deployment.destroy()  # a LocalStack this command did not start keeps running
            # They describe an endpoint that is about to stop answering.
            removed = [path for path in (args.outputs, ServedStack.path_beside(args.outputs)) if path.exists()]
            for path in removed:
                path.unlink()
            removed += forget_deployment(args.workdir)
            print(f"make up stopped; removed {', '.join(str(path) for path in removed) or 'nothing'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(program.run(main, "make up"))
