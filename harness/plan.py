"""`make plan`: `terraform plan -detailed-exitcode` of the root module against the
stack `make up` serves, on whichever engine (same working directory, state and
variables). The endpoint is the one `make up` wrote to build/outputs.json, or
http://HOST:PORT when a port is given; the variables file is VAR_FILE, else the
one `make up` deployed with. `terraform init` runs only when the working directory
needs it. Exits 0 when nothing would change, 2 when something would, 1 on error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness import program
from harness.deploy.stack import ServedStack, why_not_answering
from harness.deploy.terraform import Workspace
from harness.serve import WORKDIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="default: the endpoint in --outputs, else 4566")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    args = parser.parse_args(argv)
    if not (args.workdir / "terraform.tfstate").exists():
        print(f"no deployment in {args.workdir}: start one with `make up` (same VAR_FILE)", file=sys.stderr)
        return 1
    if args.port is None and args.outputs.exists():
        endpoint = json.loads(args.outputs.read_text())["endpoint_url"]
    else:
        endpoint = f"http://{args.host}:{args.port or 4566}"
    silent = why_not_answering(endpoint)
    if silent:
        print(f"make plan: {silent}", file=sys.stderr)
        return 1
    var_file = args.var_file
    if var_file is None and ServedStack.path_beside(args.outputs).exists():
        served = ServedStack.read(args.outputs)
        var_file = Path(served.var_file) if served.var_file else None
    workspace = Workspace(args.workdir, endpoint, var_file=var_file)
    code, text = workspace.prepare(init=False).plan_changes()
    print(text[text.find("Terraform will") if code else text.find("No changes") :].strip() or text)
    return code


if __name__ == "__main__":
    sys.exit(program.run(main, "make plan"))
