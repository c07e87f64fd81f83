"""Run the shipped root module with real Terraform, in a working directory of its
own, against an emulator or AWS: the one deploy path of tests, `make up`,
`make plan` and `make demo`.

The working directory mirrors the root module through symlinks (so an edit to a
.tf file is what the next plan sees) and adds what only this deployment needs:
  emulator_override.tf   the provider pointed at the emulator (override files merge
                         into the provider block; the shipped module has no endpoint
                         variable), through the profile in emulator.aws-config
  emulator.aws-config    an AWS shared config file whose profile's endpoint_url is
                         the emulator's, for every service
  terraform.tfstate      local state, kept so `terraform output`/`plan` work later
  deploy.tfvars.json     the variables of this deployment, after any VAR_FILE
  .terraformrc           a CLI config naming the provider mirror, when one is given

Provider installation: $TF_PROVIDER_MIRROR (a filesystem mirror of the provider)
when set, the registry otherwise; downloads are cached in
$TF_PLUGIN_CACHE_DIR (default ~/.cache/terraform-plugins).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tftest

ROOT = Path(__file__).resolve().parents[2]
MIRRORED = ["*.tf", "modules", "definitions"]
OVERRIDE = "emulator_override.tf"
AWS_CONFIG = "emulator.aws-config"
PROFILE = "emulator"
# Every service the stack and its tests call (the provider's names for them).
ENDPOINT_SERVICES = [
    "apigateway",
    "cloudwatch",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "logs",
    "ses",
    "sesv2",
    "sfn",
    "sns",
    "sqs",
    "sts",
]


# A destroy that finds the state locked waits this long for the lock. The lock's
# holder is an apply whose caller gave up on it (pytest-timeout interrupts tftest,
# which leaves its terraform child running): the cleanup destroy after it must
# wait for that apply to end, not fail and leave the stack behind.
DESTROY_LOCK_TIMEOUT = "10m"

# Independent resources are created together: the provider's own waiters (Lambda
# functions in 5 s steps, SQS queues ~25 s) set the pace, not the emulator.
PARALLELISM = 30


class TerraformError(RuntimeError):
    pass


PROVIDER_NOT_INSTALLED = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "could not connect to registry.terraform.io",
)


def init_failure(output: str) -> str:
    """What a failed `terraform init` means for the user, in one line when the cause is known."""
    if any(sign in output for sign in PROVIDER_NOT_INSTALLED):
        mirror = os.environ.get("TF_PROVIDER_MIRROR")
        if mirror:
            return (
                f"terraform init could not install hashicorp/aws (>= 5.100, < 7.0) from TF_PROVIDER_MIRROR={mirror}: "
                "point it at a filesystem mirror holding registry.terraform.io/hashicorp/aws"
            )
        return (
            "terraform init could not install hashicorp/aws: the Terraform registry is not reachable from here; "
            "set TF_PROVIDER_MIRROR to a filesystem mirror of the provider (e.g. /opt/tf-plugins), or allow the registry"
        )
    detail = output.replace("\\n", "\n")
    return f"terraform init failed: {detail[-3000:]}"


def terraform_binary() -> str:
    binary = os.environ.get("TERRAFORM") or shutil.which("terraform")
    if not binary or not os.access(binary, os.X_OK):
        raise TerraformError("terraform is not on the PATH (or $TERRAFORM): install Terraform >= 1.9")
    return binary


# An invoke URL's API id and stage, as a Terraform replace() pattern (between slashes).
INVOKE_URL_PATTERN = r"/^https://([^.]+)\\.execute-api\\.[^/]+/([^/]+)$/"


def provider_override(endpoint_url: str, aws_config: Path) -> str:
    """The provider block pointing at an emulator, and the root module's api_url as the
    emulator serves the stage.

    The endpoint comes from a profile's `endpoint_url` (the AWS SDKs' shared config), not
    from an `endpoints` block as terraform-local writes it: the provider validates that
    block in every process it starts, which costs about 2.7 s of CPU each time, three
    times in an apply (docs/inner-loop.md has the measurement)."""
    return f"""# Written by harness/deploy/terraform.py: points the AWS provider at {endpoint_url}.
provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  # The emulator answers sts:GetCallerIdentity: ARNs get its account, not an empty one.
  skip_requesting_account_id = false

  # endpoint_url = {endpoint_url}, for every service
  shared_config_files = ["{aws_config}"]
  profile             = "{PROFILE}"
}}

# The stage's URL where an emulator serves it. AWS's invoke URL,
# https://<api id>.execute-api.<region>.amazonaws.com/<stage>, names a host only
# AWS resolves; emulators serve the stage at LocalStack's path instead
# (the embedded one: harness/emulator/api_gateway.py).
output "api_url" {{
  value = one([for url in module.ingress[*].invoke_url : replace(url, "{INVOKE_URL_PATTERN}", "{endpoint_url}/restapis/$1/$2/_user_request_")])
}}
"""


def cli_config(mirror: str) -> str:
    return f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
"""


def load_var_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if path.suffix != ".json":
        raise TerraformError(f"{path}: variable files are read as JSON (name it *.tfvars.json)")
    return json.loads(path.read_text())


class Workspace:
    """One deployment of the root module: a working directory, its state and variables."""

    def __init__(
        self,
        workdir: Path,
        endpoint_url: str | None,
        variables: Mapping[str, Any] | None = None,
        var_file: Path | None = None,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.endpoint_url = endpoint_url
        self.var_file = Path(var_file).resolve() if var_file else None
        self.variables = dict(variables or {})
        self.packages_dir = self.workdir / "lambdas"
        self._tf: tftest.TerraformTest | None = None
        self.last_apply_log = ""

    # -- the working directory ------------------------------------------------
    def prepare(self, init: bool = True) -> Workspace:
        """Mirror the root module, write the override, the variables and the packages; `terraform init`
        (with init=False only when the working directory has never been initialized)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._mirror_root()
        override = self.workdir / OVERRIDE
        aws_config = self.workdir / AWS_CONFIG
        if self.endpoint_url:
            aws_config.write_text(f"[profile {PROFILE}]\nendpoint_url = {self.endpoint_url}\n")
            override.write_text(provider_override(self.endpoint_url, aws_config))
        else:
            override.unlink(missing_ok=True)
            aws_config.unlink(missing_ok=True)
        build_packages(self.packages_dir)
        deploy_vars = {**load_var_file(self.var_file), **self.variables, "lambda_packages_dir": str(self.packages_dir)}
        (self.workdir / "deploy.tfvars.json").write_text(json.dumps(deploy_vars, indent=2) + "\n")
        self._tf = tftest.TerraformTest(str(self.workdir), binary=terraform_binary(), env=self.env)
        if init or not self.initialized:
            try:
                self._tf.setup(cleanup_on_exit=False)  # terraform init; the state stays for `terraform output`/`plan`
            except tftest.TerraformTestError as error:
                raise TerraformError(init_failure(str(error))) from None
        return self

    @property
    def initialized(self) -> bool:
        """`terraform init` has run here and installed every module the root module calls."""
        modules = self.workdir / ".terraform" / "modules" / "modules.json"
        if not (self.workdir / ".terraform.lock.hcl").exists() or not modules.exists():
            return False
        installed = {entry["Key"] for entry in json.loads(modules.read_text()).get("Modules", [])}
        called = set(re.findall(r'^module\s+"([^"]+)"', "".join(p.read_text() for p in ROOT.glob("*.tf")), re.M))
        return called <= installed

    def _mirror_root(self) -> None:
        wanted = {p.name: p for pattern in MIRRORED for p in ROOT.glob(pattern) if not p.name.endswith("_override.tf")}
        for entry in self.workdir.iterdir():
            if entry.is_symlink() and entry.name not in wanted:
                entry.unlink()  # a file removed from the root module
        for name, source in wanted.items():
            link = self.workdir / name
            if link.is_symlink() and link.resolve() == source:
                continue
            if link.is_symlink() or link.is_file():
                link.unlink()
            link.symlink_to(source)

    @property
    def env(self) -> dict[str, str]:
        env = {
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "TF_INPUT": "0",
            "TF_CLI_ARGS_destroy": f"-lock-timeout={DESTROY_LOCK_TIMEOUT}",  # tftest passes no such flag
        }
        if os.environ.get("TF_LOG"):  # tftest drops it; keep it for debugging the provider
            env["TF_LOG"] = os.environ["TF_LOG"]
        cache = Path(os.environ.get("TF_PLUGIN_CACHE_DIR") or Path.home() / ".cache" / "terraform-plugins")
        cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
        mirror = os.environ.get("TF_PROVIDER_MIRROR")
        config = self.workdir / ".terraformrc"
        if mirror:
            config.write_text(cli_config(mirror))
            env["TF_CLI_CONFIG_FILE"] = str(config)
        elif os.environ.get("TF_CLI_CONFIG_FILE") and not Path(os.environ["TF_CLI_CONFIG_FILE"]).exists():
            env["TF_CLI_CONFIG_FILE"] = ""  # a configured file that is missing only prints warnings
        if self.endpoint_url:  # the emulator's credentials and endpoint, whatever the caller's environment holds
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=self.endpoint_url)
            # An endpoint set for one service, or endpoints turned off, would beat the profile's.
            ambient = [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")]
            env.update(dict.fromkeys([*ambient, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"], ""))
        return env

    @property
    def tf(self) -> tftest.TerraformTest:
        if self._tf is None:
            self._tf = tftest.TerraformTest(str(self.workdir), binary=terraform_binary(), env=self.env)
        return self._tf

    @property
    def var_files(self) -> list[str]:
        return [str(self.workdir / "deploy.tfvars.json")]

    @property
    def var_args(self) -> list[str]:
        return [f"-var-file={path}" for path in self.var_files]

    # -- commands ----------------------------------------------------------------
    def run(self, *args: str, capture: bool = True, check: bool = True) -> subprocess.CompletedProcess:
        command = [terraform_binary(), *args]
        run = subprocess.run(
            command, cwd=self.workdir, env={**os.environ, **self.env}, text=True, capture_output=capture
        )
        if check and run.returncode != 0:
            detail = (run.stdout or "") + (run.stderr or "") if capture else ""
            raise TerraformError(f"terraform {' '.join(args[:1])} failed ({run.returncode})\n{detail[-6000:]}")
        return run

    def apply(self) -> str:
        """`terraform apply`; returns its summary line ("Apply complete! Resources: ...")."""
        try:
            out = self.tf.apply(tf_var_file=self.var_files, parallelism=str(PARALLELISM))
        except tftest.TerraformTestError as error:
            raise TerraformError(f"terraform apply failed: {error}") from None
        self.last_apply_log = out
        return next((line for line in out.splitlines() if line.startswith("Apply complete")), out[-300:])

    def apply_changes(self) -> tuple[list[str], str]:
        """`terraform apply` in one process (one refresh, one provider start): the changes its
        plan announced ("module.x.aws_y.z will be updated in-place"), and its summary line."""
        summary = self.apply()
        announced = re.findall(r"^\s*# (\S+) (?:will|must) be (.+)$", self.last_apply_log, re.M)
        return [f"{address} ({how})" for address, how in announced], summary

    def state(self) -> dict[str, Any]:
        """The state as Terraform holds it: its local state file, which `terraform state pull`
        would print (the working directory has no backend) without the 0.7 s the command
        takes to start, in each pytest process of a run against a served stack."""
        local = self.workdir / "terraform.tfstate"
        if local.exists():
            return json.loads(local.read_text() or "{}")
        return json.loads(self.run("state", "pull").stdout or "{}")

    def outputs(self) -> dict[str, Any]:
        return {name: value for name, value in self.tf.output().items()}

    def plan_changes(self) -> tuple[int, str]:
        """`terraform plan -detailed-exitcode`: (0 no changes | 2 changes, the plan's text)."""
        run = self.run(
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            f"-parallelism={PARALLELISM}",
            *self.var_args,
            check=False,
        )
        if run.returncode not in (0, 2):
            raise TerraformError(f"terraform plan failed\n{(run.stdout + run.stderr)[-6000:]}")
        return run.returncode, run.stdout

    def review(self, refresh: bool = True) -> dict[str, Any]:
        """A plan of this deployment as JSON (`terraform show -json`). After an apply
        it holds every value as deployed, every variable, and no change."""
        plan_file = self.workdir / "review.tfplan"
        self.run(
            "plan",
            "-input=false",
            "-no-color",
            f"-refresh={'true' if refresh else 'false'}",
            f"-parallelism={PARALLELISM}",
            f"-out={plan_file}",
            *self.var_args,
        )
        return json.loads(self.run("show", "-json", str(plan_file)).stdout)

    def destroy(self) -> str:
        """`terraform destroy`; returns its summary line ("Destroy complete! Resources: ...")."""
        if not (self.workdir / "terraform.tfstate").exists():
            return "nothing to destroy"
        try:
            out = self.tf.destroy(tf_var_file=self.var_files, parallelism=str(PARALLELISM))
        except tftest.TerraformTestError as error:
            raise TerraformError(f"terraform destroy failed: {error}") from None
        return next((line for line in out.splitlines() if line.startswith("Destroy complete")), out[-300:])

    def state_resources(self) -> list[str]:
        run = self.run("state", "list", check=False)
        return run.stdout.split() if run.returncode == 0 else []


# What describes one deployment: it goes with the engine it describes (make up, make demo).
DEPLOYMENT_FILES = ("terraform.tfstate", "terraform.tfstate.backup", "review.tfplan")


def forget_deployment(workdir: Path) -> list[Path]:
    """Remove the state and plan of a deployment whose engine is gone; returns what was removed."""
    removed = []
    for name in DEPLOYMENT_FILES:
        path = Path(workdir) / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def build_packages(out: Path) -> list[Path]:
    """scripts/package_lambdas.py, in this interpreter."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import package_lambdas
    finally:
        sys.path.pop(0)
    return package_lambdas.build_all(out)


def describe(paths: Iterable[Path]) -> str:
    return ", ".join(str(p) for p in paths)


# -- what a deployment is, read back from Terraform ------------------------------
def plan_variables(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Every root variable with the value this deployment used (defaults included)."""
    return {name: item.get("value") for name, item in plan.get("variables", {}).items()}


def plan_resources(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every resource of the plan's planned values, child modules included."""
    found: list[dict[str, Any]] = []

    def walk(module: Mapping[str, Any]) -> None:
        found.extend(module.get("resources", []))
        for child in module.get("child_modules", []):
            walk(child)

    walk(plan.get("planned_values", {}).get("root_module", {}))
    return found


def state_as_plan(state: Mapping[str, Any], variables: Mapping[str, Any]) -> dict[str, Any]:
    """A deployment's state in the shape of a plan right after its apply: every managed
    resource's values as deployed (planned_values), the variables given, nothing to change."""
    resources = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        prefix = f"{resource['module']}." if resource.get("module") else ""
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key)}]"
            resources.append(
                {
                    "address": f"{prefix}{resource['type']}.{resource['name']}{index}",
                    "type": resource["type"],
                    "values": instance.get("attributes", {}),
                }
            )
    return {
        "variables": {name: {"value": value} for name, value in variables.items()},
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": [],
    }


def plan_changes(plan: Mapping[str, Any]) -> list[str]:
    """Addresses of resources the plan would change (empty right after an apply)."""
    return [
        change["address"]
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] not in (["no-op"], ["read"])
    ]


def state_machine_definitions(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{"notification": definition, "order": definition} as deployed (module <name>_workflow)."""
    definitions = {}
    for resource in plan_resources(plan):
        if resource["type"] == "aws_sfn_state_machine":
            workflow = resource["address"].split(".")[1].removesuffix("_workflow")
            definitions[workflow] = json.loads(resource["values"]["definition"])
    return definitions
