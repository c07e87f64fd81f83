"""The facts the embedded deployer takes from the Terraform configuration.

Variable defaults come from variables.tf, resource names from `local.names` in
locals.tf, and definitions are rendered the way Terraform's templatefile() does,
so the embedded stack cannot drift from what `terraform apply` builds.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import hcl2

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"

_PLACEHOLDER = re.compile(r"\$\$\{|%%\{|%\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VAR_REFERENCE = re.compile(r"\$\{var\.([A-Za-z_][A-Za-z0-9_]*)\}")


def _literal(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted; unquote them, leave the rest."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    if isinstance(value, dict):
        return {_literal(k): _literal(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def parse(path: Path) -> dict:
    """python-hcl2's reading of a .tf file (a fresh copy: callers may change it)."""
    stat = path.stat()
    return copy.deepcopy(_parse(path.resolve(), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=None)
def _parse(path: Path, mtime_ns: int, size: int) -> dict:
    """Parsing is slow (~50 ms a file) and the deployers read the same files many times."""
    with path.open() as handle:
        return hcl2.load(handle)


@lru_cache(maxsize=None)
def variable_defaults(root: Path = ROOT) -> dict[str, Any]:
    """Every root variable with its default (None where it has none)."""
    defaults = {}
    for block in parse(root / "variables.tf").get("variable", []):
        for name, body in block.items():
            defaults[_literal(name)] = _literal(body.get("default"))
    return defaults


def interpolate(expression: str, variables: Mapping[str, Any]) -> str:
    """Evaluate a string literal whose only references are `${var.x}`."""
    text = _literal(expression)
    resolved = _VAR_REFERENCE.sub(lambda m: str(variables[m.group(1)]), text)
    if "${" in resolved:
        raise ValueError(f"only ${{var.…}} references are supported here: {expression}")
    return resolved


def local_value(name: str, root: Path = ROOT) -> Any:
    """The raw (unevaluated) expression of `local.<name>`, from any root .tf file."""
    for path in sorted(root.glob("*.tf")):
        for block in parse(path).get("locals", []):
            if name in block:
                return _strip_comments(block[name])
    raise KeyError(f"no local.{name} in {root}")


def _strip_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def resource_names(variables: Mapping[str, Any]) -> dict[str, str]:
    """local.names, evaluated for these variable values."""
    return {key: interpolate(expr, variables) for key, expr in local_value("names").items()}


def terraform_number(value: float | int) -> str:
    """Numbers as templatefile() prints them: 2.0 -> "2", 1.5 -> "1.5"."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers")
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def placeholders(template: str) -> set[str]:
    return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}


def render(template: str, values: Mapping[str, Any]) -> str:
    """Render like templatefile(): `${name}` only; `$${` and `%%{` are escapes.

    Template directives (`%{ ... }`) are refused rather than half-supported, and
    a placeholder without a value is an error, as it is in Terraform.
    """
    missing = placeholders(template) - set(values)
    if missing:
        raise KeyError(f"template needs values for: {sorted(missing)}")

    def substitute(match: re.Match) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        if token == "%%{":
            return "%{"
        if token == "%{":
            raise ValueError("template directives are not supported by this renderer")
        value = values[match.group(1)]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return terraform_number(value)
        if isinstance(value, str):
            return value
        raise TypeError(f"{match.group(1)}: templatefile() only interpolates strings and numbers")

    return _PLACEHOLDER.sub(substitute, template)


def render_definition(name: str, values: Mapping[str, Any]) -> str:
    """definitions/<name>.asl.json rendered, checked to be JSON."""
    text = render((DEFINITIONS / f"{name}.asl.json").read_text(), values)
    json.loads(text)
    return text
