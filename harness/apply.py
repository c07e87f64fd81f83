"""`make apply`: `terraform apply` of the working tree to the stack `make up` serves, on
whichever engine, in its working directory (build/terraform), while it keeps serving.
Prints each change the apply made and how long it took. The variables are those `make up`
deployed with (its VAR_FILE), unless another VAR_FILE is given. Exits 1 on error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import program
from harness.deploy.stack import ServedStack, apply_served, why_not_answering


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None, help="default: the one `make up` used")
    args = parser.parse_args(argv)
    if not ServedStack.path_beside(args.outputs).exists():
        print(f"no stack served beside {args.outputs}: start one with `make up`", file=sys.stderr)
        return 1
    served = ServedStack.read(args.outputs)
    silent = why_not_answering(served.endpoint_url)
    if silent:
        print(f"make apply: {silent}", file=sys.stderr)
        return 1
    applied = apply_served(served, args.outputs, args.var_file)
    for change in applied.changes:
        print(f"  {change}")
    print(f"make apply on {served.engine}: {applied.summary} ({applied.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(program.run(main, "make apply"))
