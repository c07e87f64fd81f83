"""REST APIs (API Gateway v1) executed by the embedded emulator.

moto stores REST APIs but executes none of what this stack's API does: it runs
HTTP integrations only, inside its decorator, with no request validation and
no mapping templates, and it has no server path for a stage. This module
answers requests to a stage at LocalStack's path,

    POST http://<endpoint>/restapis/<api id>/<stage>/_user_request_/<resource path>

as API Gateway answers them, step by step, for what an API with AWS
integrations uses (docs/ingress.md, "The embedded emulator"):

 1. route: the stage serves its deployment's snapshot (taken at
    CreateDeployment, as API Gateway does: an undeployed change is not served);
    the resource by path, then the method (or ANY). No such route: 403
    MISSING_AUTHENTICATION_TOKEN, as AWS answers.
 2. AWS_IAM authorization: the request must carry a SigV4 Authorization header
    scoped to execute-api; without one, 403 MISSING_AUTHENTICATION_TOKEN.
 3. request validation, when the method's validator validates the body: the
    body must parse as JSON (else 400 BAD_REQUEST_BODY) and satisfy the
    method's model for its content type (JSON Schema draft 4, with jsonschema;
    no Content-Type means application/json, as on AWS).
 4. integration request: the request template for the content type, rendered
    with airspeed (the Velocity engine LocalStack uses) and API Gateway's
    $input, $util and $context; passthrough NEVER with no template: 415.
 5. AWS integration `arn:aws:apigateway:<region>:<service>:action/<Action>`:
    the credentials role must exist (else 500); the rendered body is sent to
    this emulator in-process, as the SDK sends that action of a JSON-protocol
    service (fault rules apply to it like to any call).
 6. integration response: the first selection pattern that matches the
    integration's status code (whole match), else the default response; its
    template is rendered with $input = the integration's answer; a
    `#set($context.responseOverride.status = ...)` replaces the status.
 7. gateway responses: API Gateway's own errors use the API's custom gateway
    response for the type (else DEFAULT_4XX/5XX, else AWS's default
    `{"message":$context.error.messageString}`).
 8. logs: one access log line per request in the stage's access log group, in
    its format ($context variables, "-" when a value is missing); with
    execution logging at ERROR or INFO, why API Gateway refused a request, in
    API-Gateway-Execution-Logs_<api id>/<stage> (the only execution log lines
    written).

Not emulated (declared in docs/ingress.md): signatures are not verified and
IAM policies not evaluated (moto evaluates none anywhere); throttling (stage
or usage plans) is not enforced; X-Ray traces are not written; caching;
authorizers; Lambda, HTTP, MOCK and VPC integrations; query-protocol services
(form-encoded bodies) and `path/` integration URIs; binary media types. The
wording of validation errors is jsonschema's, not AWS's Java validator's.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote_plus

import airspeed
import botocore.exceptions
import botocore.session
import jsonschema
from jsonpath_ng import parse as parse_json_path
from moto.apigateway.models import RestAPI, apigateway_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from werkzeug.test import EnvironBuilder, run_wsgi_app

STAGE_PATH = re.compile(r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$")
_INTEGRATION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):(?P<kind>action|path)/(?P<target>.+)$"
)
_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)

# API Gateway's own errors: response type -> (status, message, x-amzn-ErrorType).
GATEWAY_ERRORS = {
    "MISSING_AUTHENTICATION_TOKEN": ("403", "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "INVALID_SIGNATURE": (
        "403",
        "Credential should be scoped to correct service: 'execute-api'. ",
        "IncompleteSignatureException",
    ),
    "BAD_REQUEST_BODY": ("400", "Invalid request body", "BadRequestException"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "Unsupported Media Type", "UnsupportedMediaTypeException"),
    "API_CONFIGURATION_ERROR": ("500", "Internal server error", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": ("504", "Internal server error", "InternalServerErrorException"),
}
DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}'


class GatewayError(Exception):
    """One of API Gateway's own answers (a gateway response), not the integration's."""

    def __init__(self, response_type: str, detail: str = "", validation_error: str = "") -> None:
        super().__init__(f"{response_type}: {detail}")
        self.response_type = response_type
        self.detail = detail  # never sent: it goes to the execution log, as on AWS
        self.validation_error = validation_error


# -- deployments: what a stage serves ------------------------------------------------


def snapshot_deployments() -> None:
    """API Gateway deploys a snapshot of the API; moto keeps only the live
    resources. Each CreateDeployment now keeps a copy of what it deployed."""
    create = RestAPI.create_deployment
    if getattr(create, "takes_snapshot", False):
        return

    def create_deployment(self, *args, **kwargs):
        deployment = create(self, *args, **kwargs)
        deployment.snapshot = copy.deepcopy(
            {
                "resources": self.resources,
                "models": self.models,
                "request_validators": self.request_validators,
                "gateway_responses": self.gateway_responses,
            }
        )
        return deployment

    create_deployment.takes_snapshot = True
    RestAPI.create_deployment = create_deployment


def install() -> None:
    snapshot_deployments()


# -- Velocity: $input, $util ------------------------------------------------------------


def escape_javascript(value: Any) -> str:
    """$util.escapeJavaScript: Apache Commons Lang's escapeJavaScript, which API
    Gateway uses. Java strings are UTF-16, so a character beyond the BMP is two
    escaped surrogates; ' becomes \\' (not valid JSON: templates undo it)."""
    if value is None:
        return ""
    escapes = {
        '"': '\\"',
        "'": "\\'",
        "\\": "\\\\",
        "/": "\\/",
        "\b": "\\b",
        "\n": "\\n",
        "\t": "\\t",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for char in str(value):
        code = ord(char)
        if char in escapes:
            out.append(escapes[char])
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
        elif code > 0x7F or code < 0x20:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return "".join(out)


class VelocityUtil:
    """$util of API Gateway mapping templates."""

    def escapeJavaScript(self, value: Any) -> str:  # noqa: N802 - API Gateway's names
        return escape_javascript(value)

    def parseJson(self, value: str) -> Any:  # noqa: N802
        return json.loads(value)

    def base64Encode(self, value: str) -> str:  # noqa: N802
        return base64.b64encode(str(value).encode()).decode()

    def base64Decode(self, value: str) -> str:  # noqa: N802
        return base64.b64decode(str(value)).decode()

    def urlEncode(self, value: str) -> str:  # noqa: N802
        return quote_plus(str(value))

    def urlDecode(self, value: str) -> str:  # noqa: N802
        return unquote_plus(str(value))


@functools.lru_cache(maxsize=256)
def _json_path(expression: str):
    return parse_json_path(expression)


class VelocityInput:
    """$input: the request body (integration request) or the integration's
    answer (integration response), read with JSONPath as API Gateway reads it."""

    def __init__(self, body: str, params: dict[str, dict[str, str]] | None = None) -> None:
        self.body = body
        self._params = params or {"path": {}, "querystring": {}, "header": {}}

    def _select(self, expression: str) -> tuple[bool, Any]:
        try:
            document = json.loads(self.body) if self.body else {}
        except ValueError:
            return False, None
        matches = [m.value for m in _json_path(expression).find(document)]
        if not matches:
            return False, None
        return True, matches[0] if len(matches) == 1 else matches

    def path(self, expression: str) -> Any:
        """The value at the path as an object; a missing one renders empty."""
        found, value = self._select(expression)
        return value if found else ""

    def json(self, expression: str) -> str:
        """The value at the path as JSON text (compact, as API Gateway writes it)."""
        found, value = self._select(expression)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if found else ""

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for kind in ("path", "querystring", "header"):
            for key, value in self._params[kind].items():
                if key == name or (kind == "header" and key.lower() == name.lower()):
                    return value
        return ""


@functools.lru_cache(maxsize=256)
def _template(text: str) -> airspeed.Template:
    return airspeed.Template(text)


def render(template: str, body: str, context: dict, params: dict | None = None) -> str:
    return _template(template).merge({"input": VelocityInput(body, params), "util": VelocityUtil(), "context": context})


# -- request validation ------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _validator(schema: str) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(schema))


def validation_errors(schema: str, document: Any) -> list[str]:
    """The model's complaints about a document, one string each (jsonschema's wording)."""

    def message(error: jsonschema.ValidationError) -> str:
        where = f"{'/'.join(str(p) for p in error.absolute_path)}: " if error.absolute_path else ""
        if error.validator in ("anyOf", "oneOf"):  # its message would repeat the whole document
            return where + error.schema.get("description", f"matches none of the {error.validator} shapes")
        return where + error.message

    errors = sorted(_validator(schema).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [message(error) for error in errors]


def validation_error_string(errors: Iterable[str]) -> str:
    """$context.error.validationErrorString: AWS lists the errors in brackets, with
    double quotes escaped so the string can sit inside a JSON template."""
    return "[" + ", ".join(errors).replace("\\", "\\\\").replace('"', '\\"') + "]"


# -- the executor ---------------------------------------------------------------------------

# Integration URIs name a service by its endpoint prefix; where the SDK's name differs.
_SERVICE_NAMES = {
    "states": "stepfunctions",
    "monitoring": "cloudwatch",
    "email": "ses",
    "streams.dynamodb": "dynamodbstreams",
}


@functools.cache
def _json_service(endpoint_prefix: str) -> tuple[str, str] | None:
    """(X-Amz-Target prefix, JSON version) of the JSON-protocol service with this
    endpoint prefix (states -> AWSStepFunctions, 1.0), from botocore's model."""
    try:
        metadata = (
            botocore.session.get_session()
            .get_service_model(_SERVICE_NAMES.get(endpoint_prefix, endpoint_prefix))
            .metadata
        )
    except botocore.exceptions.UnknownServiceError:
        return None
    if metadata.get("endpointPrefix") != endpoint_prefix or metadata.get("protocol") != "json":
        return None
    return metadata["targetPrefix"], metadata.get("jsonVersion", "1.0")


class RestApiExecutor:
    """Answers the stage requests of HarnessApp (harness/emulator/embedded.py)."""

    def __init__(self, app: Callable, account_id: str) -> None:
        self.app = app  # the whole emulator: integrations call back into it
        self.account_id = account_id

    # WSGI entry ------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        match = STAGE_PATH.match(environ.get("PATH_INFO", ""))
        assert match, "routed here for stage paths only"
        started = time.monotonic()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else ""
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = {
            "method": environ.get("REQUEST_METHOD", "GET"),
            "path": match["path"] or "/",
            "body": body,
            "headers": headers,
            "query": {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()},
            "source_ip": environ.get("REMOTE_ADDR", ""),
        }
        found = self._find(match["api_id"], match["stage"])
        if found is None:
            payload = json.dumps({"message": f"no REST API {match['api_id']} with a stage {match['stage']} here"})
            return self._send(start_response, "404", {"Content-Type": "application/json"}, payload)
        api, stage, deployed = found
        context = self._context(api, stage, request)
        status, response_headers, payload = self.handle(api, deployed, request, context)
        context["status"] = status
        context["responseLength"] = str(len(payload.encode()))
        context["responseLatency"] = str(int((time.monotonic() - started) * 1000))
        self._access_log(api, stage, context)
        self._execution_log(api, stage, context)
        return self._send(start_response, status, response_headers, payload)

    @staticmethod
    def _send(start_response: Callable, status: str, headers: dict, payload: str) -> list[bytes]:
        data = payload.encode()
        reason = {
            "200": "OK",
            "202": "Accepted",
            "400": "Bad Request",
            "403": "Forbidden",
            "404": "Not Found",
            "409": "Conflict",
            "415": "Unsupported Media Type",
            "429": "Too Many Requests",
            "500": "Internal Server Error",
            "503": "Service Unavailable",
            "504": "Gateway Timeout",
        }
        start_response(
            f"{status} {reason.get(status, 'Status')}", [*headers.items(), ("Content-Length", str(len(data)))]
        )
        return [data]

    def _find(self, api_id: str, stage_name: str) -> tuple[Any, Any, dict] | None:
        # The URL names no region: the API is looked for in every region in use.
        api = next(
            (
                backend.apis[api_id]
                for backend in apigateway_backends[self.account_id].values()
                if api_id in backend.apis
            ),
            None,
        )
        stage = api.stages.get(stage_name) if api else None
        if stage is None:
            return None
        deployment = api.deployments.get(stage.deployment_id)
        deployed = getattr(deployment, "snapshot", None) or {
            "resources": api.resources,
            "models": api.models,
            "request_validators": api.request_validators,
            "gateway_responses": api.gateway_responses,
        }
        return api, stage, deployed

    def _context(self, api: Any, stage: Any, request: dict) -> dict:
        now = datetime.now(UTC)
        credential = _CREDENTIAL.search(request["headers"].get("authorization", ""))
        request_id = str(uuid.uuid4())
        return {
            "requestId": request_id,
            "extendedRequestId": request_id.replace("-", "")[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": str(int(now.timestamp() * 1000)),
            "httpMethod": request["method"],
            "path": f"/{stage.name}{request['path']}",
            "resourcePath": "",
            "resourceId": "",
            "stage": stage.name,
            "apiId": api.id,
            "accountId": self.account_id,
            "protocol": "HTTP/1.1",
            "domainName": request["headers"].get("host", ""),
            "identity": {
                "sourceIp": request["source_ip"],
                "userAgent": request["headers"].get("user-agent", ""),
                "accessKey": credential["key"] if credential else "",
                "caller": credential["key"] if credential else "",
                "user": "",
                "userArn": "",
                "accountId": self.account_id if credential else "",
            },
            "error": {"message": "", "messageString": '""', "responseType": "", "validationErrorString": ""},
            "integration": {"status": "", "latency": "", "error": ""},
            "responseOverride": {"header": {}},
            "xrayTraceId": "",  # X-Ray is not emulated
        }

    # The steps ------------------------------------------------------------------------
    def handle(self, api: Any, deployed: dict, request: dict, context: dict) -> tuple[str, dict, str]:
        try:
            resource, method = self._route(deployed, request)
            context.update(resourcePath=resource.get_path(), resourceId=resource.id)
            self._authorize(method, request)
            document_type = self._validate(deployed, method, request)
            return self._integrate(method, request, context, document_type)
        except GatewayError as error:
            return self._gateway_response(deployed, error, context)

    @staticmethod
    def _route(deployed: dict, request: dict) -> tuple[Any, Any]:
        path = request["path"].rstrip("/") or "/"
        for resource in deployed["resources"].values():
            if resource.get_path() == path:
                method = resource.resource_methods.get(request["method"]) or resource.resource_methods.get("ANY")
                if method is not None:
                    return resource, method
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN", f"no method {request['method']} {path}")

    @staticmethod
    def _authorize(method: Any, request: dict) -> None:
        if (method.authorization_type or "NONE") != "AWS_IAM":
            return
        authorization = request["headers"].get("authorization", "")
        credential = _CREDENTIAL.search(authorization)
        if not authorization.startswith("AWS4-HMAC-SHA256 ") or credential is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "no SigV4 Authorization header")
        if credential["service"] != "execute-api":
            raise GatewayError("INVALID_SIGNATURE", f"signed for {credential['service']}")

    @staticmethod
    def _content_type(request: dict) -> str:
        return (request["headers"].get("content-type") or "application/json").split(";")[0].strip().lower()

    def _validate(self, deployed: dict, method: Any, request: dict) -> str:
        content_type = self._content_type(request)
        validator = deployed["request_validators"].get(method.request_validator_id or "")
        if validator is None or not validator.validate_request_body:
            return content_type
        models = method.request_models or {}
        model_name = models.get(content_type) or models.get("$default")
        model = deployed["models"].get(model_name) if model_name else None
        if model is None:
            return content_type
        try:
            document = json.loads(request["body"] or "{}")
        except ValueError as error:
            raise GatewayError(
                "BAD_REQUEST_BODY", "malformed JSON", validation_error_string([f"Invalid JSON: {error}"])
            ) from None
        errors = validation_errors(model.schema, document)
        if errors:
            raise GatewayError("BAD_REQUEST_BODY", "; ".join(errors), validation_error_string(errors))
        return content_type

    def _integrate(self, method: Any, request: dict, context: dict, content_type: str) -> tuple[str, dict, str]:
        integration = method.method_integration
        if integration is None or integration.integration_type != "AWS":
            raise GatewayError("API_CONFIGURATION_ERROR", "only AWS integrations are emulated")
        templates = integration.request_templates or {}
        params = {"path": {}, "querystring": request["query"], "header": request["headers"]}
        if content_type in templates:
            payload = render(templates[content_type], request["body"], context, params)
        elif (integration.passthrough_behaviour or "WHEN_NO_MATCH") == "NEVER" or (
            integration.passthrough_behaviour == "WHEN_NO_TEMPLATES" and templates
        ):
            raise GatewayError("UNSUPPORTED_MEDIA_TYPE", f"no template for {content_type}")
        else:
            payload = request["body"]
        started = time.monotonic()
        status, body = self._call_service(integration, payload)
        context["integration"].update(status=status, latency=str(int((time.monotonic() - started) * 1000)))
        return self._integration_response(method, status, body, context)

    def _call_service(self, integration: Any, payload: str) -> tuple[str, str]:
        uri = _INTEGRATION_URI.match(integration.uri or "")
        if uri is None or uri["kind"] != "action":
            raise GatewayError("API_CONFIGURATION_ERROR", f"integration URI not emulated: {integration.uri}")
        service = _json_service(uri["service"])
        if service is None:
            raise GatewayError("API_CONFIGURATION_ERROR", f"{uri['service']} is not a JSON-protocol service")
        roles = iam_backends[self.account_id]["global"].roles.values()
        if not any(role.arn == integration.credentials for role in roles):
            # AWS: "API Gateway does not have permission to assume the provided role"
            raise GatewayError("API_CONFIGURATION_ERROR", f"credentials role {integration.credentials} not found")
        target_prefix, json_version = service
        stamp = time.strftime("%Y%m%d", time.gmtime())
        environ = EnvironBuilder(
            method="POST",
            path="/",
            data=payload.encode(),
            base_url=f"https://{uri['service']}.{uri['region']}.amazonaws.com",
            headers={
                "X-Amz-Target": f"{target_prefix}.{uri['target']}",
                "Content-Type": f"application/x-amz-json-{json_version}",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/{stamp}/{uri['region']}/{uri['service']}"
                f"/aws4_request, SignedHeaders=host;x-amz-target, Signature=emulated",
            },
        ).get_environ()
        try:
            chunks, status, _ = run_wsgi_app(self.app, environ, buffered=True)
        except Exception as error:  # noqa: BLE001 - the integration failed: API Gateway answers 504
            raise GatewayError("INTEGRATION_FAILURE", repr(error)) from None
        return status.split()[0], b"".join(chunks).decode("utf-8", errors="replace")

    def _integration_response(self, method: Any, status: str, body: str, context: dict) -> tuple[str, dict, str]:
        responses = list((method.method_integration.integration_responses or {}).values())
        chosen = next(
            (r for r in responses if r.selection_pattern and re.fullmatch(r.selection_pattern, status)), None
        ) or next((r for r in responses if not r.selection_pattern), None)
        if chosen is None:
            raise GatewayError("API_CONFIGURATION_ERROR", f"no integration response for status {status}")
        templates = chosen.response_templates or {}
        template = templates.get("application/json") or next(iter(templates.values()), None)
        payload = render(template, body, context) if template is not None else body
        override = context["responseOverride"].get("status")
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": context["requestId"]}
        for name, source in (chosen.response_parameters or {}).items():
            if name.startswith("method.response.header.") and source.startswith("'"):
                headers[name.rsplit(".", 1)[-1]] = source.strip("'")
        return str(override or chosen.status_code), headers, payload

    def _gateway_response(self, deployed: dict, error: GatewayError, context: dict) -> tuple[str, dict, str]:
        status, message, error_type = GATEWAY_ERRORS[error.response_type]
        context["executionLog"] = f"{error.response_type}: {error.detail}"
        context["error"] = {
            "message": message,
            "messageString": json.dumps(message),
            "responseType": error.response_type,
            "validationErrorString": error.validation_error,
        }
        family = "DEFAULT_4XX" if status.startswith("4") else "DEFAULT_5XX"
        custom = deployed["gateway_responses"].get(error.response_type) or deployed["gateway_responses"].get(family)
        template = DEFAULT_GATEWAY_TEMPLATE
        headers = {
            "Content-Type": "application/json",
            "x-amzn-RequestId": context["requestId"],
            "x-amzn-ErrorType": error_type,
        }
        if custom is not None:
            status = str(custom.status_code or status)
            template = (custom.response_templates or {}).get("application/json", template)
            for name, source in (custom.response_parameters or {}).items():
                if name.startswith("gatewayresponse.header.") and source.startswith("'"):
                    headers[name.rsplit(".", 1)[-1]] = source.strip("'")
        return status, headers, render(template, "", context)

    # Logs -------------------------------------------------------------------------------
    def _put_log_line(self, region: str, group: str, stream: str, line: str) -> None:
        logs = logs_backends[self.account_id][region]
        if group not in logs.groups:
            return  # AWS drops the line too when the group is gone
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])

    def _execution_log(self, api: Any, stage: Any, context: dict) -> None:
        """Why API Gateway refused a request, at logging level ERROR or INFO, in
        the group AWS writes execution logs to (only these lines are emulated)."""
        levels = {settings.get("loggingLevel") for settings in (stage.method_settings or {}).values()}
        if "executionLog" in context and levels & {"ERROR", "INFO"}:
            self._put_log_line(
                api.region_name,
                f"API-Gateway-Execution-Logs_{api.id}/{stage.name}",
                context["requestId"],
                f"({context['requestId']}) {context['executionLog']}",
            )

    def _access_log(self, api: Any, stage: Any, context: dict) -> None:
        settings = stage.access_log_settings or {}
        destination, log_format = settings.get("destinationArn"), settings.get("format")
        if not destination or not log_format:
            return
        group = destination.split(":log-group:", 1)[-1].removesuffix(":*")

        def value(match: re.Match) -> str:
            found: Any = context
            for key in match[1].split("."):
                found = found.get(key) if isinstance(found, dict) else None
            return "-" if found in (None, "") else str(found)

        line = re.sub(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)", value, log_format)
        self._put_log_line(api.region_name, group, f"{api.id}-{stage.name}", line)
