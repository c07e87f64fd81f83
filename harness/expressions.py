"""Evaluate the small subset of HCL expressions the root module uses in the
locals the embedded deployer shares with Terraform.

Supported: string literals with `${...}` interpolation, `var.x`, `local.x.y`,
`module.m.output`, `module.m["key"].output` (a for_each module's instance),
numbers, + - * / and parentheses, lists and objects.
Anything else raises, so a new construct in those locals is noticed, not
silently mis-read.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from typing import Any, Mapping

_REFERENCE = re.compile(r"\b(var|local|module)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\"[^\"\]]*\"\])+)")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[\"([^\"\]]*)\"\]")
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class Scope:
    """Values for var.*, local.* and module.* references."""

    def __init__(self, variables: Mapping[str, Any], modules: Mapping[str, Mapping[str, Any]] | None = None,
                 locals_: Mapping[str, Any] | None = None) -> None:
        self.roots = {"var": dict(variables), "module": dict(modules or {}), "local": dict(locals_ or {})}

    def lookup(self, kind: str, path: str) -> Any:
        value: Any = self.roots[kind]
        for step in _STEP.finditer(path):
            part = step.group(1) or step.group(2)
            try:
                value = value[part]
            except (KeyError, TypeError):
                raise KeyError(f"{kind}{path} is not known to the embedded deployer") from None
        return value


def evaluate(value: Any, scope: Scope) -> Any:
    """Evaluate a python-hcl2 value (quoted literal, "${expr}", list, dict)."""
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    if isinstance(value, dict):
        return {key: evaluate(item, scope) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return "".join(text if is_literal else str(_expression(text, scope))
                       for is_literal, text in _template_parts(value[1:-1]))
    whole = re.fullmatch(r"\$\{(.*)\}", value, re.DOTALL)
    return _expression(whole.group(1) if whole else value, scope)


def _template_parts(body: str) -> list[tuple[bool, str]]:
    """A quoted HCL string's body as (is_literal, text) parts: literal text with
    its escapes resolved, and the expressions of its `${...}` interpolations,
    which may hold quotes of their own (`"${module.m["key"].arn}:*"`)."""
    parts: list[tuple[bool, str]] = []
    literal, i = "", 0
    while i < len(body):
        if body.startswith("${", i):
            depth, j, quoted = 1, i + 2, False
            while depth:
                if j >= len(body):
                    raise ValueError(f"unterminated interpolation in {body!r}")
                char = body[j]
                if char == '"' and body[j - 1] != "\\":
                    quoted = not quoted
                elif not quoted:
                    depth += {"{": 1, "}": -1}.get(char, 0)
                j += 1
            parts.append((True, json.loads(f'"{literal}"')))
            parts.append((False, body[i + 2:j - 1]))
            literal, i = "", j
        else:
            literal += body[i]
            i += 1
    parts.append((True, json.loads(f'"{literal}"')))
    return [part for part in parts if part[1] or not part[0]]


def _expression(text: str, scope: Scope) -> Any:
    values: dict[str, Any] = {}

    def name_for(match: re.Match) -> str:
        key = f"_ref{len(values)}"
        values[key] = scope.lookup(match.group(1), match.group(2))
        return key

    python = _REFERENCE.sub(name_for, text.strip())
    return _arithmetic(ast.parse(python, mode="eval").body, values, text)


def _arithmetic(node: ast.AST, values: Mapping[str, Any], source: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _arithmetic(node.left, values, source)
        right = _arithmetic(node.right, values, source)
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError(f"unsupported expression for the embedded deployer: {source}")
