"""Requests to the stack's API (`api_url`), on any backend: SigV4-signed for
execute-api, as its AWS_IAM routes require (docs/ingress.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness.deploy.stack import StackOutputs

EMULATOR_CREDENTIALS = Credentials("testing", "testing")


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        """The body as JSON (every answer of the API is JSON)."""
        return json.loads(self.text)

    def describe(self) -> str:
        return f"{self.status} {self.text}"


class ApiClient:
    def __init__(self, api_url: str, region: str, credentials: Credentials | None) -> None:
        self.api_url = api_url.rstrip("/")
        self.region = region
        self.credentials = credentials

    @classmethod
    def for_stack(cls, outputs: StackOutputs) -> ApiClient:
        """The emulator's credentials on an emulator, the ambient ones on AWS."""
        if not outputs.api_url:
            raise ValueError("the stack has no API (ingress_enabled = false)")
        credentials = EMULATOR_CREDENTIALS if outputs.endpoint_url else boto3.Session().get_credentials()
        return cls(outputs.api_url, outputs.region, credentials)

    def post(
        self, route: str, body: Any, *, sign: bool = True, content_type: str = "application/json", timeout: float = 30
    ) -> ApiResponse:
        """POST <api_url>/<route>; `body` is JSON-encoded unless it is already a string."""
        url = f"{self.api_url}/{route.lstrip('/')}"
        data = body if isinstance(body, str) else json.dumps(body)
        request = AWSRequest("POST", url, data=data.encode(), headers={"Content-Type": content_type})
        if sign:
            SigV4Auth(self.credentials, "execute-api", self.region).add_auth(request)
        answer = requests.post(url, data=data.encode(), headers=dict(request.headers), timeout=timeout)
        return ApiResponse(answer.status_code, dict(answer.headers), answer.text)
