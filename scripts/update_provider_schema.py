#!/usr/bin/env python3
"""Regenerate tests/terraform/aws_provider_schema.json from the npm package
@cdktn/provider-aws, which is generated from the hashicorp/aws provider schema.

Terraform's own `terraform providers schema -json` needs the provider binary,
which these machines cannot download; the npm package carries the same facts
as JavaScript and TypeScript declarations:

  lib/<dir>/index.js    the HCL synthesiser: every argument and block by its
                        Terraform name, `isBlock`, and which struct a block holds
  lib/<dir>/index.d.ts  the config interfaces: `readonly name?:` is optional,
                        `readonly name:` is required

Only the provider block and the resource and data source types the .tf files
use (plus EXTRA_TYPES, for work in progress) are kept, so the JSON stays small.

    python scripts/update_provider_schema.py                     # npm pack the pinned version
    python scripts/update_provider_schema.py --version 25.8.0    # another version
    python scripts/update_provider_schema.py --tarball pkg.tgz   # an already downloaded package
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "terraform" / "aws_provider_schema.json"
PACKAGE = "@cdktn/provider-aws"
VERSION = "25.7.0"

# Types not (yet) in any .tf file that the project is about to use.
EXTRA_TYPES = {
    "resource": [
        "aws_lambda_function", "aws_iam_role_policy_attachment", "aws_sqs_queue", "aws_sqs_queue_policy",
        "aws_sns_topic_subscription", "aws_sns_topic_policy", "aws_lambda_permission", "aws_dynamodb_table_item",
    ],
    "data": ["aws_iam_role"],
}

_BLOCK_TYPE = re.compile(r'^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"', re.MULTILINE)
_HCL_ENTRY = re.compile(
    r"^\s+(?P<name>[a-z0-9_]+): \{\s*value: (?P<value>.*?),\s*isBlock: (?P<block>true|false),\s*"
    r'type: "(?P<type>\w+)",\s*storageClassType: "\w+",\s*\}',
    re.MULTILINE | re.DOTALL,
)
_FIELD = re.compile(r"^\s+readonly (?P<camel>\w+)(?P<optional>\??): ", re.MULTILINE)


def used_types(root: Path = ROOT) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"resource": set(), "data": set()}
    for path in root.rglob("*.tf"):
        if ".terraform" in path.parts:
            continue
        for kind, name in _BLOCK_TYPE.findall(path.read_text()):
            found[kind].add(name)
    return found


def directory_for(kind: str, type_name: str) -> str:
    base = type_name.removeprefix("aws_").replace("_", "-")
    return f"data-aws-{base}" if kind == "data" else base


class Module:
    """One lib/<dir>/ of the package: index.js and index.d.ts."""

    def __init__(self, js: str, dts: str) -> None:
        self.js = js
        self.dts = dts

    def _interface(self, name: str) -> dict[str, bool]:
        """camelCase field -> required, for `export interface <name>`."""
        match = re.search(rf"^export interface {name}\b[^{{]*\{{(.*?)^\}}", self.dts, re.MULTILINE | re.DOTALL)
        if not match:
            raise LookupError(f"no interface {name}")
        return {m["camel"]: not m["optional"] for m in _FIELD.finditer(match.group(1))}

    def _hcl_entries(self, body: str) -> list[re.Match]:
        return list(_HCL_ENTRY.finditer(body))

    def _function_body(self, function: str) -> str:
        match = re.search(rf"^function {function}\(struct\) \{{(.*?)^\}}", self.js, re.MULTILINE | re.DOTALL)
        if not match:
            raise LookupError(f"no function {function}")
        return match.group(1)

    def _schema(self, body: str, interface: str) -> dict:
        fields = self._interface(interface)
        schema: dict = {"arguments": {}, "blocks": {}}
        for entry in self._hcl_entries(body):
            camel = re.search(r"(?:struct\.|this\._)(\w+)", entry["value"]).group(1)
            required = fields.get(camel, False)
            if entry["block"] == "false":
                schema["arguments"][entry["name"]] = "required" if required else "optional"
                continue
            inner = re.search(r"\b(\w+)ToHclTerraform\b", entry["value"].replace("cdktn.", "cdktn_")).group(1)
            struct = inner[0].upper() + inner[1:]
            nested = self._schema(self._function_body(f"{inner}ToHclTerraform"), struct)
            nested["required"] = required
            nested["nesting"] = entry["type"]
            schema["blocks"][entry["name"]] = nested
        return schema

    def top_level(self) -> dict:
        """The resource, data source or provider class itself."""
        cls = re.search(r"^class (\w+) extends cdktn\.Terraform(?:Resource|DataSource|Provider) \{(.*?)^\}",
                        self.js, re.MULTILINE | re.DOTALL)
        body = re.search(r"synthesizeHclAttributes\(\) \{(.*?)^    \}", cls.group(2), re.MULTILINE | re.DOTALL).group(1)
        schema = self._schema(body, f"{cls.group(1)}Config")
        # Every attribute an expression may read (arguments and computed ones):
        # the class documents each as `// name - computed: ..., optional: ..., required: ...`.
        schema["attributes"] = sorted(set(re.findall(r"^    // (\w+) - computed: ", cls.group(2), re.MULTILINE)))
        return schema

    def terraform_type(self) -> str:
        return re.search(r'static tfResourceType = "([a-z0-9_]+)"', self.js).group(1)

    def provider_version(self) -> str | None:
        match = re.search(r"hashicorp/aws/(\d+\.\d+\.\d+)/docs", self.dts)
        return match.group(1) if match else None


def download(version: str, into: Path) -> Path:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{version}", "--silent", "--pack-destination", str(into)],
                   check=True, capture_output=True, text=True)
    return next(into.glob("*.tgz"))


def read_modules(tarball: Path, directories: set[str]) -> dict[str, Module]:
    wanted = {f"package/lib/{d}/index.{ext}" for d in directories for ext in ("js", "d.ts")}
    texts: dict[str, str] = {}
    with tarfile.open(tarball) as archive:
        for member in archive:
            if member.name in wanted:
                texts[member.name] = archive.extractfile(member).read().decode()
    missing = sorted(wanted - set(texts))
    if missing:
        raise SystemExit(f"not in the package (unknown resource type?): {missing}")
    return {d: Module(texts[f"package/lib/{d}/index.js"], texts[f"package/lib/{d}/index.d.ts"]) for d in directories}


def package_version(tarball: Path) -> str:
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile("package/package.json"))["version"]


def build(tarball: Path, types: dict[str, set[str]]) -> dict:
    wanted = {("provider", "aws"): "provider"}
    for kind, names in types.items():
        for name in names:
            wanted[(kind, name)] = directory_for(kind, name)
    modules = read_modules(tarball, set(wanted.values()))
    schema: dict = {
        "source": {
            "package": PACKAGE,
            "version": package_version(tarball),
            "provider": "hashicorp/aws",
            "provider_version": modules["provider"].provider_version(),
            "generated_by": "scripts/update_provider_schema.py",
        },
        "provider": modules["provider"].top_level(),
        "resource": {},
        "data": {},
    }
    for (kind, name), directory in sorted(wanted.items()):
        if kind == "provider":
            continue
        module = modules[directory]
        if module.terraform_type() != name:
            raise SystemExit(f"lib/{directory} describes {module.terraform_type()}, not {name}")
        schema[kind][name] = module.top_level()
    return schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default=VERSION, help=f"{PACKAGE} version (default {VERSION})")
    parser.add_argument("--tarball", type=Path, help="use this package tarball instead of npm pack")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    types = used_types()
    for kind, names in EXTRA_TYPES.items():
        types[kind].update(names)
    with tempfile.TemporaryDirectory() as scratch:
        tarball = args.tarball or download(args.version, Path(scratch))
        schema = build(tarball, types)
    args.output.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    counts = {kind: len(schema[kind]) for kind in ("resource", "data")}
    print(f"{args.output.relative_to(ROOT)}: {PACKAGE} {schema['source']['version']} "
          f"(hashicorp/aws {schema['source']['provider_version']}), {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
