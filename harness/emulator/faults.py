"""Fault injection for the embedded emulator.

A rule makes one AWS operation answer with a chosen AWS error, for its first N
calls or for every call. Rules act on the HTTP requests the emulator receives,
which include the calls the Step Functions interpreter makes for Task states,
so the definition's own Retry and Catch are what a fault exercises.

Requests are identified with botocore's service models (signing name, then
X-Amz-Target, the query Action, or the REST path), the same models the clients
use, so no request shape is hand-written here.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
import requests

# Services whose operations a rule may name (botocore names).
SERVICES = ("dynamodb", "lambda", "ses", "sesv2", "sns", "sqs", "stepfunctions", "cloudwatch")

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)")


@dataclass
class FaultRule:
    """Answer `service`.`operation` with `error_code` (HTTP `status`).

    `times`: how many matching calls fail before the rule stops firing (None: all).
    `when`: top-level request parameters that must be present (value None) or equal.
    `delay_seconds`: hold the call this long first (a slow dependency); with
    `error_code` None the call then goes through to the emulator unchanged.
    `after`: let the call do its work first, then answer the error instead of its
    result (the write happened, the answer was lost: an ambiguous failure).
    """

    service: str
    operation: str
    error_code: str | None = None
    status: int = 400
    message: str = "Injected by the harness fault injector"
    times: int | None = None
    when: dict[str, Any] = field(default_factory=dict)
    delay_seconds: float = 0
    after: bool = False
    id: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"service must be one of {SERVICES}")
        if self.operation not in _operations(self.service):
            raise ValueError(f"{self.service} has no operation {self.operation!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for always")
        if not 0 <= self.delay_seconds <= 60:
            raise ValueError("delay_seconds must be from 0 to 60")
        if self.error_code is None and not self.delay_seconds:
            raise ValueError("a rule needs an error_code, a delay_seconds, or both")
        if self.after and self.error_code is None:
            raise ValueError("an `after` rule needs the error_code to answer once the call is done")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if (service, operation) != (self.service, self.operation) or self.exhausted:
            return False
        for key, expected in self.when.items():
            if key not in params or (expected is not None and params[key] != expected):
                return False
        return True


@cache
def _model(service: str):
    return botocore.session.get_session().get_service_model(service)


@cache
def _operations(service: str) -> frozenset[str]:
    return frozenset(_model(service).operation_names)


@cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern, str], ...]:
    """(method, path regex, operation) for a REST service, most specific first.
    Each {Label} of the URI becomes a named group, so `when` can match it."""
    routes = []
    for name in _operations(service):
        http = _model(service).operation_model(name).http
        path = http["requestUri"].split("?")[0]
        label = r"\\\{(\w+)(?:\\\+)?\\\}"  # {Name} or {Name+}, as re.escape() wrote it
        regex = re.sub(label, r"(?P<\1>[^/]+)", re.escape(path))
        specificity = len(re.sub(label, "", re.escape(path)))  # literal characters only
        routes.append((specificity, http["method"], re.compile(f"^{regex}/?$"), name))
    return tuple(route[1:] for route in sorted(routes, key=lambda r: -r[0]))


def identify(environ: dict, body: bytes) -> tuple[str, str, dict[str, Any], str] | None:
    """(service, operation, top-level parameters, wire protocol) of an AWS request, or None.

    The wire protocol is the one the request used: clients pick among those a
    service offers (CloudWatch speaks CBOR, JSON and query), and the error must
    come back in the same one."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not scope:
        return None
    signing_name = scope.group(1)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    path = environ.get("PATH_INFO", "")
    for service in SERVICES:
        model = _model(service)
        if model.signing_name != signing_name:
            continue
        if target and model.metadata.get("targetPrefix") == target.split(".")[0]:
            return service, target.split(".", 1)[1], _json(body), "json"
        cbor = _CBOR_PATH.match(path)
        if cbor and cbor.group(1) in _operations(service):
            return service, cbor.group(1), {}, "cbor"
        if "query" in model.metadata.get("protocols", [model.protocol]) and not target:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            if form.get("Action") in _operations(service):
                return service, form.pop("Action"), form, "query"
        if model.protocol.startswith("rest"):
            for method, regex, name in _rest_routes(service):
                route = regex.match(path) if method == environ.get("REQUEST_METHOD") else None
                if route:
                    labels = {key: unquote(value) for key, value in route.groupdict().items()}
                    return service, name, {**_json(body), **labels}, "json"
    return None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def error_response(wire: str, rule: FaultRule) -> tuple[str, list[tuple[str, str]], bytes]:
    """The error as the request's wire protocol spells it, so the client parses it."""
    status = f"{rule.status} Injected"
    request_id = [("x-amzn-RequestId", str(uuid.uuid4()))]  # AWS always sends one; moto's interpreter reads it
    if wire == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{rule.error_code}</Code><Message>{rule.message}</Message>"
            "</Error><RequestId>injected-fault</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml")] + request_id, body
    if wire == "cbor":
        body = _cbor_text_map({"__type": rule.error_code, "message": rule.message})
        return status, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")] + request_id, body
    body = json.dumps({"__type": rule.error_code, "message": rule.message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", rule.error_code)] + request_id
    return status, headers, body


def _cbor_text_map(values: dict[str, str]) -> bytes:
    """Minimal CBOR: a map of short text strings (all an error body needs)."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key, value):
            encoded = text.encode()
            out += head(3, len(encoded)) + encoded
    return out


class Injected(tuple):
    """(status, headers, body) of an injected error; `after`: run the call first."""

    after: bool = False


class FaultInjector:
    """Thread-safe rule set; the emulator's WSGI wrapper consults it per request."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove(self, rule_id: int) -> None:
        with self._lock:
            self._rules = [rule for rule in self._rules if rule.id != rule_id]

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def fire(self, service: str, operation: str, params: dict[str, Any]) -> FaultRule | None:
        """The first live rule matching this call, counted as hit; else None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, operation, params):
                    rule.hits += 1
                    return rule
        return None

    def intercept(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """An error response if a rule fires for this request. Restores the body."""
        if not self._rules:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        call = identify(environ, body)
        if call is None:
            return None
        service, operation, params, wire = call
        rule = self.fire(service, operation, params)
        if rule is None:
            return None
        if rule.delay_seconds:
            time.sleep(rule.delay_seconds)  # this request's own thread: the caller sees a slow answer
        if rule.error_code is None:
            return None
        injected = Injected(error_response(wire, rule))
        injected.after = rule.after
        return injected


def rules_from_json(items: Iterable[dict[str, Any]]) -> list[FaultRule]:
    allowed = {"service", "operation", "error_code", "status", "message", "times", "when", "delay_seconds", "after"}
    rules = []
    for item in items:
        unknown = set(item) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rules.append(FaultRule(**item))
    return rules


class RemoteFaultInjector:
    """The fault rules of an embedded emulator serving in another process (`make up`),
    through its /_harness/faults endpoint: the same add/clear/rules as FaultInjector."""

    def __init__(self, endpoint_url: str) -> None:
        self.url = f"{endpoint_url}/_harness/faults"

    def add(self, rule: FaultRule) -> RemoteFaultRule:
        fields = {k: v for k, v in asdict(rule).items() if k not in ("id", "hits")}
        response = requests.post(self.url, json=fields, timeout=10)
        response.raise_for_status()
        rule.id = response.json()["rules"][-1]["id"]
        return RemoteFaultRule(rule, self)

    def clear(self) -> None:
        requests.delete(self.url, timeout=10).raise_for_status()

    def remove(self, rule_id: int) -> None:
        requests.delete(self.url, params={"id": rule_id}, timeout=10).raise_for_status()

    def rules(self) -> list[dict[str, Any]]:
        response = requests.get(self.url, timeout=10)
        response.raise_for_status()
        return response.json()["rules"]


class OwnRules:
    """One user's view of an injector (FaultInjector or RemoteFaultInjector): `clear`
    removes only the rules added through it, so tests running side by side against
    one emulator keep each other's rules."""

    def __init__(self, injector: FaultInjector | RemoteFaultInjector) -> None:
        self._injector = injector
        self._ids: list[int] = []

    def add(self, rule: FaultRule) -> FaultRule | RemoteFaultRule:
        added = self._injector.add(rule)
        self._ids.append(rule.id)
        return added

    def clear(self) -> None:
        for rule_id in self._ids:
            self._injector.remove(rule_id)
        self._ids.clear()

    def rules(self) -> list[dict[str, Any]]:
        """The rules added through this view, with their hits."""
        return [rule for rule in self._injector.rules() if rule["id"] in self._ids]


class RemoteFaultRule:
    """A rule added through RemoteFaultInjector: its fields, and its `hits` as the emulator counts them."""

    def __init__(self, rule: FaultRule, injector: RemoteFaultInjector) -> None:
        self._rule, self._injector = rule, injector

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)

    @property
    def hits(self) -> int:
        return next((r["hits"] for r in self._injector.rules() if r["id"] == self._rule.id), 0)

    def __repr__(self) -> str:
        return f"{self._rule!r} (hits on the emulator: {self.hits})"
