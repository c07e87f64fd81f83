"""Terraform's own tests: `terraform test` with a mocked AWS provider, for the
root module (tests/terraform/*.tftest.hcl) and for every module
(modules/<name>/tests/*.tftest.hcl). Offline: no endpoint, no credentials.

Each configuration is run from a scratch directory of links to the real files
(in pytest's temporary directory), with TF_DATA_DIR under build/terraform-test/:
`terraform init` writes neither `.terraform/` nor a lock file in the
repository (where a developer's own lock file may pin a provider version the
mirror does not hold), and no copy of a .tf file lands where Checkov scans.

Provider installation: when $TF_PROVIDER_MIRROR names a filesystem mirror (.ci/run
sets it on machines that have one, and `make` passes it on), it is written into
a CLI config (harness.deploy.terraform.cli_config: the mirror for hashicorp/aws, `direct`
excluded for it) and TF_CLI_CONFIG_FILE points at it. Without it, `terraform
init` uses the registry or the caller's own CLI config.

The Lambda module hashes its package at plan: the packages are built first
(scripts/package_lambdas.py) and passed as variables.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.deploy.terraform import build_packages, cli_config

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "terraform-test"
ROOT_TESTS = "tests/terraform"
MOCKS = f"{ROOT_TESTS}/mocks"  # what the mocked AWS provider answers, for the root and every module
MODULES = sorted(path.name for path in (ROOT / "modules").iterdir() if (path / "main.tf").exists())
TARGETS = ["root", *(f"modules/{name}" for name in MODULES)]
# `terraform test` processes at a time: each is CPU-bound (mostly starting the
# provider plugin for every run), so more than the cores only slows each down;
# under pytest-xdist the cores are shared with the other workers.
WORKERS = max(1, min(4, (os.cpu_count() or 2) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))
TIMEOUT = 300
# override_during (mocked values at plan) is Terraform 1.11's.
MINIMUM_VERSION = (1, 11)


def terraform_binary() -> str | None:
    return os.environ.get("TERRAFORM") or shutil.which("terraform")


def why_not_runnable() -> str | None:
    binary = terraform_binary()
    if binary is None:
        return "no terraform binary on PATH (or $TERRAFORM)"
    run = subprocess.run(
        [binary, "version", "-json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )
    version = json.loads(run.stdout)["terraform_version"] if run.returncode == 0 else "unknown"
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) < MINIMUM_VERSION:
        return f"terraform {version}: the .tftest.hcl files need Terraform >= {'.'.join(map(str, MINIMUM_VERSION))}"
    return None


NOT_RUNNABLE = why_not_runnable()


def environment() -> dict[str, str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
    env.pop("TF_WORKSPACE", None)
    source = os.environ.get("TF_PROVIDER_MIRROR")
    if source:
        config = WORK / "terraformrc"
        config.write_text(cli_config(source))
        env["TF_CLI_CONFIG_FILE"] = str(config)
    elif env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
        env["TF_CLI_CONFIG_FILE"] = ""  # a configured file that is missing only prints warnings
    return env


# -- the scratch directories ---------------------------------------------------------
def link(source: Path, link_path: Path) -> None:
    link_path.parent.mkdir(parents=True, exist_ok=True)
    if link_path.is_symlink() or link_path.is_file():
        link_path.unlink()
    link_path.symlink_to(source)


def scratch(target: str, base: Path) -> Path:
    """A directory of links to the configuration and its tests, and nothing the repository holds of Terraform's."""
    workdir = base / target.replace("/", "-")
    if target != "root":  # a module may call its siblings (source = "../kms_key"): keep them beside it
        workdir = base / target.replace("/", "-") / target
        for sibling in (ROOT / "modules").iterdir():
            if sibling.name != workdir.name:
                (workdir.parent).mkdir(parents=True, exist_ok=True)
                link(sibling, workdir.parent / sibling.name)
        # and the shared mocks where its tests name them (source = "../../tests/terraform/mocks")
        link(ROOT / MOCKS, base / target.replace("/", "-") / MOCKS)
    workdir.mkdir(parents=True)
    if target == "root":
        # Local *_override.tf files (an emulator endpoint) are not part of the module.
        for path in ROOT.glob("*.tf"):
            if not path.name.endswith("_override.tf"):
                link(path, workdir / path.name)
        for folder in ("modules", "definitions"):
            link(ROOT / folder, workdir / folder)
        link(ROOT / ROOT_TESTS, workdir / ROOT_TESTS)
    else:
        source = ROOT / target
        for path in source.iterdir():
            if not path.name.startswith(".terraform"):
                link(path, workdir / path.name)
    return workdir


def variables(target: str, packages: Path) -> list[str]:
    """Values only this machine knows: where the Lambda package was just built."""
    if target == "root":
        return [f"-var=lambda_packages_dir={packages}"]
    if target == "modules/lambda_function":
        return [f"-var=package_file={packages / 'orders.zip'}"]
    return []


def terraform_test(target: str, env: dict[str, str], packages: Path, base: Path) -> tuple[bool, str]:
    """`terraform init` then `terraform test`; (passed, what Terraform printed)."""
    workdir = scratch(target, base)
    env = {**env, "TF_DATA_DIR": str(WORK / target.replace("/", "-") / ".terraform")}
    binary = terraform_binary()
    commands = [
        [binary, "init", "-backend=false", "-input=false", "-no-color"],
        [
            binary,
            "test",
            "-no-color",
            *([f"-test-directory={ROOT_TESTS}"] if target == "root" else []),
            *variables(target, packages),
        ],
    ]
    output = []
    for command in commands:
        try:
            run = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            output.append(f"$ {' '.join(command[1:2])}: timed out after {TIMEOUT} s")
            return False, "\n".join(output)
        output.append(f"$ terraform {' '.join(command[1:])}  (in {workdir})\n{run.stdout}{run.stderr}")
        if run.returncode != 0:
            if command[1] == "init" and "could not connect to registry" in run.stdout + run.stderr:
                output.append(
                    "The AWS provider could not be installed: set TF_PROVIDER_MIRROR to a filesystem mirror "
                    "of hashicorp/aws (as .ci/run does where there is one), or allow the registry."
                )
            return False, "\n".join(output)
    return True, "\n".join(output)


@pytest.fixture(scope="module")
def terraform_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Every selected target's `terraform test`, started together, WORKERS at a time."""
    selected = {
        item.callspec.params["target"]
        for item in request.session.items
        if getattr(item, "module", None) is sys.modules[__name__]
        and getattr(item, "originalname", None) == "test_terraform_test_passes"
    }
    WORK.mkdir(parents=True, exist_ok=True)
    packages = WORK / "lambdas"
    build_packages(packages)
    env = environment()
    base = tmp_path_factory.mktemp("terraform-test")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            target: pool.submit(terraform_test, target, env, packages, base) for target in TARGETS if target in selected
        }
        yield futures


@pytest.mark.skipif(NOT_RUNNABLE is not None, reason=NOT_RUNNABLE or "")
@pytest.mark.parametrize("target", TARGETS)
def test_terraform_test_passes(terraform_runs: dict[str, Future], target: str):
    passed, output = terraform_runs[target].result()

    assert passed, f"terraform test failed for {target}:\n{output}"
    assert re.search(r"Success! [1-9]\d* passed, 0 failed", output), output


# -- every module is tested, every validation is broken by a run ----------------------
def tftest_files(target: str) -> list[Path]:
    folder = ROOT / ROOT_TESTS if target == "root" else ROOT / target / "tests"
    return sorted(folder.glob("*.tftest.hcl"))


def validated_variables(target: str) -> set[str]:
    """Variables with a validation block. `terraform fmt -check` (tests/terraform/test_terraform_cli.py)
    keeps every top-level block starting at column 0 and closing with a lone `}`."""
    folder = ROOT if target == "root" else ROOT / target
    blocks = re.findall(r'^variable "(\w+)" \{\n(.*?)^\}', (folder / "variables.tf").read_text(), re.M | re.S)
    return {name for name, body in blocks if re.search(r"^\s+validation \{", body, re.M)}


def expected_failures(target: str) -> set[str]:
    """Variables some run lists in `expect_failures`."""
    names = set()
    for path in tftest_files(target):
        for listing in re.findall(r"expect_failures\s*=\s*\[([^\]]*)\]", path.read_text()):
            names.update(re.findall(r"var\.(\w+)", listing))
    return names


@pytest.mark.parametrize("target", TARGETS)
def test_the_configuration_has_terraform_tests(target: str):
    assert tftest_files(target), f"{target} has no *.tftest.hcl: add tests/ with at least one run"


@pytest.mark.parametrize("target", TARGETS)
def test_every_variable_validation_has_a_run_expecting_it_to_fail(target: str):
    missing = validated_variables(target) - expected_failures(target)

    assert not missing, (
        f"{target}: no run lists these validated variables in expect_failures: {', '.join(sorted(missing))}"
    )
