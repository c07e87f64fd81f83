"""Speed-ups for the embedded emulator that change no behaviour.

Profiling plain moto (py-spy, 2 cores) showed most of an execution's time in work
repeated for every execution or every service call, not in the workflow:

- the ASL definition was parsed by ANTLR for every execution (~170 ms for the
  notification workflow); it is now parsed once per definition, and every
  execution of it runs that one parsed program. The interpreter keeps an
  execution's state in the execution's Environment (its stack, heap, frames),
  never in the program, which is why it already runs one program for all the
  iterations of a Map at once; the program's only lazily set attribute, each
  component's random heap key (the key of its retry counters in an execution's
  heap), is set before the program is first run. Each execution used to get a
  copy, unpickled from a snapshot: 8% of the emulator's time at 10 in flight;
- every Task's service call built a new boto3 client (model loading, an SSL
  context); clients are now built once per service and region and reused, which
  boto3 supports across threads;
- every request listed moto's package directory on disk, under the dispatcher's
  global lock, to find its backend; that list never changes while running, so it
  is computed once;
- every JSONPath in the definition was compiled by a freshly built PLY parser on
  each use; compiled paths are now cached (they are immutable);
- every Task call went over TCP back into this process, through a server thread
  and a new connection (the server closes each one); the reused clients now hand
  the request straight to the same WSGI application, fault injection included;
- every Task call was signed with SigV4 (canonical request, payload hash, HMACs),
  4% of the emulator's time under load, for a server that reads only
  the credential scope (moto routes the request by its service and takes region
  and account from it) and never checks a signature: calls handed straight to
  the application carry that scope, and no signature;
- every Task call built its User-Agent header from scratch, twice (botocore's
  UserAgentString.to_string, for the request and again when it is created),
  2.8% of the emulator's time for `text` notifications at 10 in flight (issue
  11): a reused client builds it once per set of feature ids, the only part
  that changes from call to call.

`make bench` measures plain moto against these, in the same run.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

import botocore
import moto.backends
import moto.settings
from botocore.awsrequest import AWSResponse
from botocore.context import get_context
from moto.core.botocore_stubber import MockRawResponse
from moto.stepfunctions.parser.asl.component.component import Component
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from werkzeug.test import EnvironBuilder, run_wsgi_app

_ORIGINAL_CLIENT_FACTORY = moto_boto_client.boto_client_for
_applied = False


def parse_each_definition_once() -> None:
    programs: dict[str, EvalComponent] = {}
    lock = threading.Lock()

    def evaluation_entrypoint(self):
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            program = programs.get(definition)
            if program is None:
                program = AmazonStateLanguageParser.parse(definition)[0]
                set_heap_keys(program)
                programs[definition] = program
        return program

    ExecutionWorker._get_evaluation_entrypoint = evaluation_entrypoint


def set_heap_keys(program: EvalComponent) -> None:
    """Set every component's heap key now: moto draws it at random on first use, and two
    executions drawing it at once would file the same retry counter under two keys."""
    seen: set[int] = set()
    pending: list[object] = [program]
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, (list, tuple, set, frozenset)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, Component):
            if isinstance(value, EvalComponent):
                value.heap_key  # noqa: B018 - reading it sets it
            pending.extend(vars(value).values())


def reuse_service_clients(app: Callable | None) -> None:
    clients: dict[tuple, object] = {}
    lock = threading.Lock()

    def cached_client(region: str, service: str, state_credentials=None):
        # The factory's output depends on the region, the service and MOTO_PORT only.
        key = (region, service, moto.settings.moto_server_port())
        with lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = _ORIGINAL_CLIENT_FACTORY(region, service, state_credentials)
                reuse_user_agent(client)
                if app is not None:
                    in_process_transport(client, app)
        return client

    # Task implementations import the factory by name: replace every such reference.
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("moto.stepfunctions.parser")
            and getattr(module, "boto_client_for", None) is _ORIGINAL_CLIENT_FACTORY
        ):
            module.boto_client_for = cached_client


def reuse_user_agent(client) -> None:
    """Build this client's User-Agent header once per set of feature ids: everything else
    it is made of (SDK, OS, Python, config) is fixed when the client is built."""
    creator = client._user_agent_creator
    build = creator.to_string
    built: dict[tuple, str] = {}

    def to_string() -> str:
        context = get_context()
        key = (frozenset(context.features) if context else None, frozenset(creator._client_features or ()))
        user_agent = built.get(key)
        if user_agent is None:
            user_agent = built[key] = build()
        return user_agent

    creator.to_string = to_string  # also what its request-created handler calls


def compile_each_json_path_once() -> None:
    json_path.parse = lru_cache(maxsize=4096)(json_path.parse)


def in_process_transport(client, app: Callable) -> None:
    """Serve this client's requests by calling the WSGI app directly (no socket), unsigned
    but with the credential scope a signature would name."""
    scope = "/".join((client.meta.region_name, client.meta.service_model.signing_name, "aws4_request"))
    access_key = client._request_signer._credentials.access_key
    client.meta.events.register("choose-signer", lambda **_: botocore.UNSIGNED, unique_id="harness-unsigned")

    def send(request, **_):
        if "Authorization" not in request.headers:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            request.headers["X-Amz-Date"] = stamp
            request.headers["Authorization"] = (
                f"AWS4-HMAC-SHA256 Credential={access_key}/{stamp[:8]}/{scope}, "
                "SignedHeaders=host;x-amz-date, Signature=unsigned-in-process"
            )
        url = urlsplit(request.url)
        body = request.body or b""
        if not isinstance(body, bytes):
            body = body.read() if hasattr(body, "read") else str(body).encode()
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        environ = EnvironBuilder(
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            query_string=url.query,
            headers=headers,
            data=body,
        ).get_environ()
        chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
        payload = b"".join(chunks)
        return AWSResponse(request.url, int(status.split()[0]), dict(headers.items()), MockRawResponse(payload))

    client.meta.events.register("before-send", send)


def list_moto_modules_once() -> None:
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lru_cache(maxsize=1)(lambda: modules)


def apply_all(app: Callable | None = None) -> None:
    """Apply every speed-up; with `app`, Task calls go to that WSGI app in-process."""
    global _applied
    if _applied:
        return
    _applied = True
    parse_each_definition_once()
    reuse_service_clients(app)
    compile_each_json_path_once()
    list_moto_modules_once()
