"""Each order function may do exactly what its code does, and is packaged with
exactly the code it runs.

Three views must agree: the PERMISSIONS each handler module declares next to
its code, the calls the code really makes (recorded while it runs against
moto's in-process mock), and the IAM statements orders.tf gives its role.
"""

from __future__ import annotations

import ast
import io
import sys
import zipfile

import pytest

from harness import terraform
from harness.deploy_orders import build_package, function_source_dir
from harness.expressions import Scope, evaluate
from harness.stack import stack_variables
from tests.support import FAKE_MODULES
from tests.unit.order_lambdas import HANDLERS, SOURCE, handler_module, mocked_tables

VARIABLES = stack_variables()


def order_functions() -> dict:
    """local.order_functions, evaluated with stand-ins for the modules' outputs."""
    scope = Scope(VARIABLES, FAKE_MODULES, {"names": terraform.resource_names(VARIABLES)})
    scope.roots["local"]["use_table_key"] = evaluate(terraform.local_value("use_table_key"), scope)
    return evaluate(terraform.local_value("order_functions"), scope)


FUNCTIONS = order_functions()
TABLE_NAMES = {FAKE_MODULES[m]["arn"]: FAKE_MODULES[m]["name"] for m in ("orders_table", "stock_table",
                                                                          "payments_table")}


def declared(name: str) -> set[tuple[str, str]]:
    """(action, table variable) pairs of the handler module's PERMISSIONS."""
    return {(action, table) for action, tables in handler_module(name).PERMISSIONS.items() for table in tables}


def granted(name: str) -> set[tuple[str, str]]:
    """(action, table variable) pairs of the Terraform role's DynamoDB statements."""
    spec = FUNCTIONS[name]
    variable_of = {value: key for key, value in spec["environment"].items()}
    pairs = set()
    for statement in spec["policy_statements"]:
        for action in statement["actions"]:
            if not action.startswith("dynamodb:"):
                continue
            for resource in statement["resources"]:
                pairs.add((action, variable_of.get(TABLE_NAMES.get(resource), f"not a table: {resource}")))
    return pairs


def test_every_handler_module_has_a_function_and_every_function_a_handler_module():
    assert set(FUNCTIONS) == set(HANDLERS)


@pytest.mark.parametrize("name", HANDLERS)
def test_the_role_grants_exactly_the_dynamodb_actions_and_tables_the_code_declares(name):
    assert granted(name) == declared(name)


@pytest.mark.parametrize("name", HANDLERS)
def test_the_role_grants_nothing_else_but_the_table_key_through_dynamodb(name):
    others = [s for s in FUNCTIONS[name]["policy_statements"]
              if not all(a.startswith("dynamodb:") for a in s["actions"])]
    if not declared(name):
        assert FUNCTIONS[name]["policy_statements"] == []
        return
    assert others == [{
        "sid": "UseTableKey", "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
        "resources": [FAKE_MODULES["orders_kms_key"]["arn"]],
        "conditions": [{"test": "StringEquals", "variable": "kms:ViaService",
                        "values": [f"dynamodb.{VARIABLES['region']}.amazonaws.com"]}],
    }]


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
        for order_id, token in [("o-1", "tok_success"), ("o-1", "tok_success"), ("o-2", "tok_declined"),
                                ("o-3", "tok_flaky"), ("o-4", "tok_unavailable")]:
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
    return {"customer": {"customer_id": "c", "email": "a@example.com"}, "items": [{"sku": "A", "quantity": 1}],
            "currency": "USD", "payment_token": "tok_success"}


@pytest.mark.parametrize("name", HANDLERS)
def test_the_code_calls_exactly_what_it_declares(name):
    with mocked_tables() as tables:
        exercise(name, tables)
        called = set(tables.calls)
    assert called == declared(name)


# What each package holds ------------------------------------------------------------------------------

def local_imports(module: str) -> set[str]:
    """The modules of lambdas/orders that `module` imports, directly or not."""
    found, pending = set(), [module]
    while pending:
        tree = ast.parse((SOURCE / f"{pending.pop()}.py").read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for imported in names:
                if (SOURCE / f"{imported}.py").exists() and imported not in found:
                    found.add(imported)
                    pending.append(imported)
    return found


@pytest.mark.parametrize("name", HANDLERS)
def test_each_package_holds_its_handler_and_the_modules_it_imports_and_nothing_else(name):
    files = FUNCTIONS[name]["files"]
    assert len(files) == len(set(files))
    assert set(files) == {f"{m}.py" for m in {name} | local_imports(name)}
    assert not set(files) & {f"{other}.py" for other in HANDLERS if other != name}


@pytest.mark.parametrize("name", HANDLERS)
def test_each_handler_module_imports_only_its_package_the_standard_library_and_the_runtime(name):
    runtime = {"boto3", "botocore"}
    for module in {name} | local_imports(name):
        tree = ast.parse((SOURCE / f"{module}.py").read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for imported in names:
                top = imported.split(".")[0]
                assert top in sys.stdlib_module_names | runtime | {"__future__"} or (SOURCE / f"{top}.py").exists(), \
                    f"{module}.py imports {imported}, which the Lambda runtime does not have"


@pytest.mark.parametrize("name", HANDLERS)
def test_the_embedded_deployer_packages_the_same_files_as_archive_file(name):
    package = zipfile.ZipFile(io.BytesIO(build_package(function_source_dir(), FUNCTIONS[name]["files"])))
    assert sorted(package.namelist()) == sorted(FUNCTIONS[name]["files"])
    assert function_source_dir() == SOURCE
    for info in package.infolist():
        assert info.external_attr >> 16 == 0o644  # archive_file's output_file_mode
        assert package.read(info) == (SOURCE / info.filename).read_bytes()


@pytest.mark.parametrize("name", HANDLERS)
def test_each_function_declares_a_lambda_handler(name):
    assert callable(handler_module(name).lambda_handler)
