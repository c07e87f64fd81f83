"""Deploy the root module with `terraform apply` (through tftest), to
LocalStack or to AWS, and read its outputs as StackOutputs.

The configuration is copied to a scratch directory first, so a run never
touches the developer's own `.terraform/` or state, and two runs never share
one. Variables: tests/test.tfvars.json plus the backend's own (the provider
endpoints for LocalStack; a unique prefix, the verified sender and a short
key deletion window for AWS).

    deployment = TerraformDeployment.for_backend("localstack")   # or "aws"
    if deployment.missing: skip(deployment.missing)
    try:
        outputs = deployment.apply()
        ...
    finally:
        deployment.destroy()
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import tftest

from . import localstack, terraform
from .stack import TEST_VARIABLES_FILE, StackOutputs, variables_for_tests

# What the configuration needs besides the .tf files themselves.
COPIED = ["*.tf", "modules", "definitions", "lambdas"]
EMAIL_IDENTITY = "module.email_identity.aws_sesv2_email_identity.this"
PROVIDER_PROBE = 'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n' \
                 '      version = "~> 6.0"\n    }\n  }\n}\n'


def terraform_binary() -> str | None:
    return os.environ.get("TERRAFORM") or shutil.which("terraform")


def terraform_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
    # One download of the provider per machine, not per run.
    cache = Path(os.environ.get("TF_PLUGIN_CACHE_DIR") or Path.home() / ".cache" / "terraform-plugins")
    cache.mkdir(parents=True, exist_ok=True)
    env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    env.update(extra or {})
    return env


@lru_cache(maxsize=None)
def why_no_provider() -> str | None:
    """None when `terraform init` can install hashicorp/aws, else why not (one line)."""
    binary = terraform_binary()
    if binary is None:
        return "no terraform binary on PATH (or $TERRAFORM)"
    with tempfile.TemporaryDirectory() as probe:
        Path(probe, "versions.tf").write_text(PROVIDER_PROBE)
        env = {**os.environ, **terraform_env()}
        try:
            run = subprocess.run([binary, "init", "-backend=false", "-input=false", "-no-color"], cwd=probe,
                                 env=env, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return "terraform init timed out installing hashicorp/aws"
    if run.returncode == 0:
        return None
    output = " ".join((run.stdout + run.stderr).split())
    cause = re.search(r"could not connect to [\w.-]+", output) or re.search(r"Failed to [^.:]+", output)
    return f"the hashicorp/aws provider cannot be installed ({cause.group(0) if cause else 'terraform init failed'})"


def aws_credentials_problem() -> str | None:
    import boto3
    import botocore.exceptions

    try:
        boto3.client("sts").get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        return f"no usable AWS credentials ({type(error).__name__})"
    return None


class TerraformDeployment:
    def __init__(self, backend: str, variables: dict[str, Any], env: dict[str, str],
                 endpoint_url: str | None, missing: list[str]) -> None:
        self.backend = backend
        self.variables = variables
        self.env = env
        self.endpoint_url = endpoint_url
        self.missing = "; ".join(missing) or None
        self.workdir: Path | None = None
        self._tf: tftest.TerraformTest | None = None
        self._adopted_identity = False
        self.root = terraform.ROOT  # what is copied and applied

    @classmethod
    def for_backend(cls, backend: str) -> "TerraformDeployment":
        missing = [m for m in [why_no_provider()] if m]
        if backend == "localstack":
            url = localstack.endpoint_url()
            problem = localstack.why_unusable(url)
            missing = ([problem] if problem else []) + missing
            variables = {"aws_endpoints": localstack.aws_endpoints()}
            env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
            return cls(backend, variables, env, url, missing)
        if backend == "aws":
            sender = os.environ.get("STACK_AWS_SENDER_EMAIL")
            if not sender:
                missing.insert(0, "STACK_AWS_SENDER_EMAIL is not set (an address verified in SES)")
            problem = aws_credentials_problem()
            if problem:
                missing.insert(0, problem)
            prefix = f"{variables_for_tests()['name_prefix']}-{uuid.uuid4().hex[:6]}"
            variables = {"name_prefix": prefix, "sender_email": sender or "", "kms_key_deletion_window_days": 7}
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            if region:
                variables["region"] = region
            return cls(backend, variables, {}, None, missing)
        raise ValueError(f"no Terraform deployment for backend {backend!r}")

    # ------------------------------------------------------------------
    def _prepare(self) -> tftest.TerraformTest:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"tf-{self.backend}-"))
        for pattern in COPIED:
            for source in self.root.glob(pattern):
                target = self.workdir / source.name
                if source.is_dir():
                    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*",
                                                                                  "__pycache__"))
                else:
                    shutil.copy2(source, target)
        (self.workdir / "backend.tfvars.json").write_text(json.dumps(self.variables, indent=2))
        tf = tftest.TerraformTest(str(self.workdir), binary=terraform_binary() or "terraform",
                                  env=terraform_env(self.env))
        tf.setup(backend=False)  # terraform init; local state in the scratch directory
        return tf

    @property
    def var_files(self) -> list[str]:
        return [str(TEST_VARIABLES_FILE), str(self.workdir / "backend.tfvars.json")]

    def apply(self) -> StackOutputs:
        self._tf = self._prepare()
        if self.backend == "aws":
            self._adopt_existing_identity()
        self._tf.apply(tf_var_file=self.var_files)
        return StackOutputs.from_terraform(dict(self._tf.output()), endpoint_url=self.endpoint_url)

    def destroy(self) -> None:
        """Always safe to call: after a failed or partial apply too."""
        if self._tf is None:
            return
        try:
            if self._adopted_identity:  # the sender identity was there before us: leave it there
                self._tf.execute_command("state", "rm", EMAIL_IDENTITY)
            self._tf.destroy(tf_var_file=self.var_files)
        finally:
            self._tf = None
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def _adopt_existing_identity(self) -> None:
        """On AWS the sender must be verified already, so its SES identity usually
        exists: import it rather than fail on AlreadyExists, and leave it on destroy."""
        import boto3

        sesv2 = boto3.client("sesv2", region_name=self.variables.get("region"))
        try:
            sesv2.get_email_identity(EmailIdentity=self.variables["sender_email"])
        except sesv2.exceptions.NotFoundException:
            return
        args = [f"-var-file={f}" for f in self.var_files] + ["-input=false", "-no-color"]
        self._tf.execute_command("import", *args, EMAIL_IDENTITY, self.variables["sender_email"])
        self._adopted_identity = True
