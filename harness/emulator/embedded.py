"""The embedded emulator: moto's ThreadedMotoServer in this process, made ready
for Step Functions executions, with fault injection and delivery inspection.

Extra endpoints next to the AWS APIs (the same paths, parameters and response
shapes as LocalStack 4.x, so one observer reads both; tests/emulator/
test_delivery_endpoints.py pins the shapes):
  GET|DELETE /_aws/sns/sms-messages   SMS published to phone numbers
                                      (?accountId= &region= &phoneNumber=)
  GET|DELETE /_aws/ses                emails sent through SES v1 or v2 (?id= &email= filters on Source)
  GET|POST|DELETE /_harness/faults    fault rules (see harness/emulator/faults.py); DELETE ?id=N removes one
  ANY /restapis/<api id>/<stage>/_user_request_/<path>
                                      a REST API's stage, executed (harness/emulator/api_gateway.py)
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import boto3
import requests
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from werkzeug.serving import ThreadedWSGIServer

from harness.emulator import (
    acceleration,
    acceleration_load,
    api_gateway,
    fidelity,
    lambda_seam,
    provider_api,
    test_state,
    thread_reuse,
)
from harness.emulator.faults import FaultInjector, rules_from_json

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# The harness sees each answer as the emulator gave it: no client-side retries.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class HarnessApp:
    """WSGI wrapper around moto: answers the harness endpoints, injects faults."""

    def __init__(self, moto_app: Callable, faults: FaultInjector, region: str) -> None:
        self.moto_app = moto_app
        self.faults = faults
        self.region = region
        self._first_seen: dict[str, str] = {}
        # REST API stages; their AWS integrations call back into this application.
        self.rest_apis = api_gateway.RestApiExecutor(self, DEFAULT_ACCOUNT_ID)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if api_gateway.STAGE_PATH.match(path):
            return self.rest_apis(environ, start_response)
        routes = {
            "/_aws/sns/sms-messages": self._sms,
            "/_aws/ses": self._emails,
            "/_harness/faults": self._fault_rules,
        }
        if path in routes:
            try:
                status, payload = routes[path](method, environ)
            except (ValueError, TypeError) as error:
                status, payload = "400 Bad Request", {"error": str(error)}
            if payload is None:  # 204 No Content, as LocalStack answers a DELETE
                start_response(status, [("Content-Length", "0")])
                return [b""]
            body = json.dumps(payload, default=str).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        injected = self.faults.intercept(environ)
        if injected:
            if injected.after:  # the call does its work; its answer is replaced by the error
                for _ in self.moto_app(environ, lambda *args, **kwargs: None):
                    pass
            status, headers, body = injected
            start_response(status, headers + [("Content-Length", str(len(body)))])
            return [body]
        return self.moto_app(environ, start_response)

    @staticmethod
    def _query(environ: dict) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}

    def _sms(self, method: str, environ: dict) -> tuple[str, Any]:
        """LocalStack's SNSServiceSMSMessagesApiResource (services/sns/provider.py)."""
        query = self._query(environ)
        region = query.get("region", self.region)
        backend = sns_backends[query.get("accountId", DEFAULT_ACCOUNT_ID)][region]
        phone_filter = query.get("phoneNumber")
        if method == "DELETE":
            for message_id, (phone, _) in list(backend.sms_messages.items()):
                if phone_filter in (None, phone):
                    del backend.sms_messages[message_id]
            return "204 No Content", None
        by_phone: dict[str, list] = {phone_filter: []} if phone_filter else {}
        for message_id, (phone, message) in list(backend.sms_messages.items()):
            if phone_filter in (None, phone):
                # moto keeps the phone number and text only; LocalStack's other
                # fields hold these values for a direct (topic-less) SMS.
                by_phone.setdefault(phone, []).append(
                    {
                        "PhoneNumber": phone,
                        "TopicArn": None,
                        "SubscriptionArn": None,
                        "MessageId": message_id,
                        "Message": message,
                        "MessageAttributes": {},
                        "MessageStructure": None,
                        "Subject": None,
                    }
                )
        return "200 OK", {"sms_messages": by_phone, "region": region}

    def _emails(self, method: str, environ: dict) -> tuple[str, Any]:
        """LocalStack's SesServiceApiResource (services/ses/provider.py)."""
        query = self._query(environ)
        backend = ses_backends[DEFAULT_ACCOUNT_ID][self.region]
        if method == "DELETE":
            backend.sent_messages[:] = [m for m in backend.sent_messages if query.get("id") not in (None, m.id)]
            return "204 No Content", None
        messages = []
        for message in list(backend.sent_messages):
            if query.get("id") not in (None, "", message.id) or query.get("email") not in (None, "", message.source):
                continue
            # moto records no send time: the first time this endpoint sees a message stands in for it.
            stamp = self._first_seen.setdefault(message.id, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()))
            item: dict[str, Any] = {"Id": message.id, "Region": self.region}
            if hasattr(message, "raw_data"):
                item.update(Source=message.source, RawData=message.raw_data)
            elif hasattr(message, "template"):
                item.update(
                    Source=message.source,
                    Template=message.template,
                    TemplateData=message.template_data,
                    Destination=message.destinations,
                )
            else:
                item.update(
                    Destination={k: list(v) for k, v in message.destinations.items() if v},
                    Source=message.source,
                    Subject=message.subject,
                    Body={"text_part": message.body, "html_part": None},
                )
            item["Timestamp"] = stamp
            messages.append(item)
        return "200 OK", {"messages": messages}

    def _fault_rules(self, method: str, environ: dict) -> tuple[str, Any]:
        if method == "DELETE":
            rule_id = self._query(environ).get("id")
            if rule_id:
                self.faults.remove(int(rule_id))
            else:
                self.faults.clear()
        elif method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"[]")
            for rule in rules_from_json(payload if isinstance(payload, list) else [payload]):
                self.faults.add(rule)
        return "200 OK", {"rules": self.faults.rules()}


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:  # one line per AWS call is noise
        pass


class _ServerOnReusedThreads(ThreadedWSGIServer):
    """Serves each connection on a reused worker (harness/emulator/thread_reuse.py), as
    the interpreter's threads are, instead of a thread started for it."""

    def process_request(self, request, client_address) -> None:
        thread_reuse.ReusedThread(target=self.process_request_thread, args=(request, client_address)).start()


class _HarnessMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose WSGI app is wrapped by HarnessApp."""

    def __init__(self, host: str, port: int, wrap: Callable[[Callable], Callable], reuse_threads: bool) -> None:
        super().__init__(ip_address=host, port=port, verbose=False)
        self._wrap = wrap
        self._server_class = _ServerOnReusedThreads if reuse_threads else ThreadedWSGIServer

    def start(self) -> None:
        """Bind here, not in the server thread. When the port is taken, werkzeug says so and
        exits: in moto's server thread that ended the thread alone, before it said it was
        ready, and moto's start waited for ever."""
        app = self._wrap(DomainDispatcherApplication(create_backend_app))
        self._server = self._server_class(self._ip_address, self._port, app, handler=_QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)
        self._thread.start()
        self._server_ready_event.set()


class EmbeddedEmulator:
    """One per process: moto's interpreter reads the port from MOTO_PORT."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        region: str = "us-east-1",
        accelerated: bool | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.region = region
        self.faults = FaultInjector()
        # HARNESS_PLAIN_MOTO=1 runs moto as shipped, for benchmarking against it.
        self.accelerated = os.environ.get("HARNESS_PLAIN_MOTO") != "1" if accelerated is None else accelerated
        self.app: HarnessApp | None = None
        self._server = _HarnessMotoServer(host, self.port, self._wrap, reuse_threads=self.accelerated)

    def _wrap(self, moto_app: Callable) -> HarnessApp:
        self.app = HarnessApp(moto_app, self.faults, self.region)
        return self.app

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmbeddedEmulator:
        running = os.environ.get("MOTO_PORT")
        if running and running != str(self.port) and os.environ.get("HARNESS_EMULATOR_RUNNING"):
            raise RuntimeError("an embedded emulator already runs in this process (MOTO_PORT is global)")
        # The ASL interpreter sends every Task's service call to localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ["HARNESS_EMULATOR_RUNNING"] = "1"
        fidelity.apply_all()
        provider_api.apply_all()  # what the Terraform AWS provider calls
        test_state.install()  # the TestState API, with mocks (moto's server answers 404)
        api_gateway.install()  # stages serve the deployment they point at
        lambda_seam.install(self.endpoint_url)  # Lambda functions run in local processes, not Docker
        self._server.start()
        if self.accelerated:
            acceleration.apply_all(self.app)  # after start: the WSGI app exists only then
            acceleration_load.apply_all()
        self._enable_executions()
        return self

    def _enable_executions(self) -> None:
        response = requests.post(
            f"{self.endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        )
        response.raise_for_status()

    def reset(self) -> None:
        """Forget every resource and fault; executions stay enabled."""
        self.faults.clear()
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=30).raise_for_status()
        self._enable_executions()

    def stop(self) -> None:
        self._server.stop()
        lambda_seam.POOL.shutdown()
        os.environ.pop("HARNESS_EMULATOR_RUNNING", None)

    def client(self, service: str):
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.region, config=NO_RETRIES, **CREDENTIALS
        )

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
