"""Each order function may do exactly what its code does, and runs the code of
its handler module from the one package of lambdas/orders.

Three views must agree: the PERMISSIONS each handler module declares next to
its code, the calls the code really makes (recorded while it runs against
moto's in-process mock), and the IAM policy the deployed role holds (the
session's plan: orders.tf's statements plus the module's own).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import sys
import zipfile

import pytest

from harness.deploy.packages import package_bytes
from tests.support import ORDER_FUNCTION, order_functions, resource, resources_of_type, role_statements
from tests.unit.order_lambdas import HANDLERS, SOURCE, handler_module, mocked_tables


@pytest.fixture(scope="module")
def functions(deployment) -> dict[str, dict]:
    """Each order function's aws_lambda_function, by its key in local.order_functions."""
    return order_functions(deployment.plan)


@pytest.fixture(scope="module")
def statements(deployment, functions) -> dict[str, list[dict]]:
    """What each function's role is granted, statement by statement."""
    return {
        key: role_statements(deployment.plan, function["role"].rsplit("/", 1)[1]) for key, function in functions.items()
    }


@pytest.fixture(scope="module")
def table_names(deployment) -> dict[str, str]:
    """Table ARN -> table name, for every table of the stack."""
    return {table["arn"]: table["name"] for table in resources_of_type(deployment.plan, "aws_dynamodb_table").values()}


def declared(name: str) -> set[tuple[str, str]]:
    """(action, table variable) pairs of the handler module's PERMISSIONS."""
    return {(action, table) for action, tables in handler_module(name).PERMISSIONS.items() for table in tables}


def granted(function: dict, statements: list[dict], table_names: dict[str, str]) -> set[tuple[str, str]]:
    """(action, table variable) pairs of the role's DynamoDB statements; the function's
    environment says which variable names which table."""
    [environment] = function["environment"] or [{"variables": {}}]
    variable_of = {value: key for key, value in environment["variables"].items()}
    pairs = set()
    for statement in statements:
        for action in statement["actions"]:
            if not action.startswith("dynamodb:"):
                continue
            for resource_arn in statement["resources"]:
                pairs.add((action, variable_of.get(table_names.get(resource_arn), f"not a table: {resource_arn}")))
    return pairs


def test_every_handler_module_has_a_function_and_every_function_a_handler_module(functions):
    assert sorted(functions) == sorted(HANDLERS)


@pytest.mark.parametrize("name", HANDLERS)
def test_the_role_grants_exactly_the_dynamodb_actions_and_tables_the_code_declares(
    functions, statements, table_names, name
):
    assert granted(functions[name], statements[name], table_names) == declared(name)


@pytest.mark.parametrize("name", HANDLERS)
def test_the_role_grants_nothing_else_but_the_table_key_through_dynamodb_and_its_logs_and_traces(
    deployment, statements, name
):
    others = sorted(
        (s for s in statements[name] if not all(a.startswith("dynamodb:") for a in s["actions"])),
        key=lambda s: s["sid"],
    )
    log_group = resource(deployment.plan, f"{ORDER_FUNCTION.format(key=name)}.aws_cloudwatch_log_group.this")["arn"]
    expected = [
        # modules/lambda_function's own: the function's log group and X-Ray
        {
            "sid": "SendTraces",
            "actions": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "resources": ["*"],
            "conditions": [],
        },
        {
            "sid": "WriteLogs",
            "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "resources": [f"{log_group}:*"],
            "conditions": [],
        },
    ]
    if declared(name):  # orders.tf's local.use_table_key
        key = resource(deployment.plan, "module.orders_kms_key.aws_kms_key.this")["arn"]
        expected.append(
            {
                "sid": "UseTableKey",
                "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
                "resources": [key],
                "conditions": [
                    {
                        "test": "StringEquals",
                        "variable": "kms:ViaService",
                        "values": [f"dynamodb.{deployment.variables['region']}.amazonaws.com"],
                    }
                ],
            }
        )
    assert [{**s, "actions": sorted(s["actions"])} for s in others] == sorted(expected, key=lambda s: s["sid"])


# What the code really calls ---------------------------------------------------------------------------


def exercise(name: str, tables) -> None:
    """Run the function's code through its paths (success, replay, failure) against `tables`."""
    module = handler_module(name)
    provider = handler_module("payment_provider")
    tables.put_stock(**{"SKU-A": 2})
    tables.record_order("o-1")
    tables.record_order("o-2")
    tables.calls.clear()  # the test's own setup is not the function's
    items = [{"sku": "SKU-A", "quantity": 1}]
    if name == "reserve_inventory":
        module.reserve(tables.client, tables.stock, tables.orders, "o-1", items)
        module.reserve(tables.client, tables.stock, tables.orders, "o-1", items)
        with pytest.raises(module.OutOfStock):
            module.reserve(tables.client, tables.stock, tables.orders, "o-2", [{"sku": "SKU-A", "quantity": 9}])
    elif name == "release_inventory":
        handler_module("reserve_inventory").reserve(tables.client, tables.stock, tables.orders, "o-1", items)
        tables.calls.clear()
        module.release(tables.client, tables.stock, tables.orders, "o-1", items)
        module.release(tables.client, tables.stock, tables.orders, "o-1", items)
    elif name == "charge_payment":
        for order_id, token in [
            ("o-1", "tok_success"),
            ("o-1", "tok_success"),
            ("o-2", "tok_declined"),
            ("o-3", "tok_flaky"),
            ("o-4", "tok_unavailable"),
        ]:
            try:
                provider.charge(tables.client, tables.payments, order_id, 100, "USD", token)
            except (provider.PaymentDeclined, provider.PaymentTransientError):
                pass
    elif name == "refund_payment":
        provider.charge(tables.client, tables.payments, "o-1", 100, "USD", "tok_success")
        tables.calls.clear()
        for order_id in ("o-1", "o-1", "o-2"):
            provider.refund(tables.client, tables.payments, order_id)
    else:
        module.lambda_handler({"order_id": "o-1", "amount_cents": 100, **validate_input()}, None)


def validate_input() -> dict:
    return {
        "customer": {"customer_id": "c", "email": "a@example.com"},
        "items": [{"sku": "A", "quantity": 1}],
        "currency": "USD",
        "payment_token": "tok_success",
    }


@pytest.mark.parametrize("name", HANDLERS)
def test_the_code_calls_exactly_what_it_declares(name):
    with mocked_tables() as tables:
        exercise(name, tables)
        called = set(tables.calls)
    assert called == declared(name)


# What the package holds ----------------------------------------------------------------------------


def local_imports(module: str) -> set[str]:
    """The modules of lambdas/orders that `module` imports, directly or not."""
    found, pending = set(), [module]
    while pending:
        tree = ast.parse((SOURCE / f"{pending.pop()}.py").read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for imported in names:
                if (SOURCE / f"{imported}.py").exists() and imported not in found:
                    found.add(imported)
                    pending.append(imported)
    return found


@pytest.fixture(scope="module")
def package() -> bytes:
    """lambdas/orders as scripts/package_lambdas.py zips it from the sources now."""
    return package_bytes(SOURCE)


def test_every_function_runs_the_package_built_from_the_sources(functions, package):
    digest = base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert {f["filename"].rsplit("/", 1)[-1] for f in functions.values()} == {"orders.zip"}
    for name, function in functions.items():
        assert function["source_code_hash"] == digest, f"{name} runs another package than lambdas/orders builds"


def test_the_package_holds_the_modules_of_lambdas_orders_at_its_root_and_nothing_else(package):
    archive = zipfile.ZipFile(io.BytesIO(package))
    modules = sorted(p.name for p in SOURCE.glob("*.py") if not p.name.startswith("test_"))
    assert sorted(archive.namelist()) == modules
    for info in archive.infolist():
        assert info.external_attr >> 16 == 0o100644  # a regular file, rw-r--r--
        assert archive.read(info) == (SOURCE / info.filename).read_bytes()


@pytest.mark.parametrize("name", HANDLERS)
def test_each_functions_handler_module_and_what_it_imports_are_in_the_package(functions, package, name):
    assert functions[name]["handler"] == f"{name}.lambda_handler"
    packaged = set(zipfile.ZipFile(io.BytesIO(package)).namelist())
    assert {f"{m}.py" for m in {name} | local_imports(name)} <= packaged


@pytest.mark.parametrize("name", HANDLERS)
def test_each_handler_module_imports_only_its_package_the_standard_library_and_the_runtime(name):
    runtime = {"boto3", "botocore"}
    for module in {name} | local_imports(name):
        tree = ast.parse((SOURCE / f"{module}.py").read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for imported in names:
                top = imported.split(".")[0]
                assert top in sys.stdlib_module_names | runtime | {"__future__"} or (SOURCE / f"{top}.py").exists(), (
                    f"{module}.py imports {imported}, which the Lambda runtime does not have"
                )


@pytest.mark.parametrize("name", HANDLERS)
def test_each_function_declares_a_lambda_handler(name):
    assert callable(handler_module(name).lambda_handler)
