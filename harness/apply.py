"""`make apply`: `terraform apply` of the working tree to the stack `make up` serves, on
whichever engine, in its working directory (build/terraform), while it keeps serving.
Prints each change the apply made and how long it took. The variables are those `make up`
deployed with (its VAR_FILE), unless another VAR_FILE is given. Exits 1 on error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.deploy.stack import ServedStack, apply_served
from harness.deploy.terraform import TerraformError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None, help="default: the one `make up` used")
    args = parser.parse_args(argv)
    if not ServedStack.path_beside(args.outputs).exists():
        print(f"no stack served beside {args.outputs}: start one with `make up`", file=sys.stderr)
        return 1
    served = ServedStack.read(args.outputs)
    try:
        applied = apply_served(served, args.outputs, args.var_file)
    except TerraformError as error:
        print(error, file=sys.stderr)
        return 1
    for change in applied.changes:
        print(f"  {change}")
    print(f"make apply on {served.engine}: {applied.summary} ({applied.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
