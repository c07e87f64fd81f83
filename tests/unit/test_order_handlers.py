"""The order functions' business rules and errors, without the emulator: the
pure ones directly, the DynamoDB ones against moto's in-process mock."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.order_lambdas import handler_module, mocked_tables

validate_order = handler_module("validate_order")
check_fraud = handler_module("check_fraud")
reserve_inventory = handler_module("reserve_inventory")
release_inventory = handler_module("release_inventory")
charge_payment = handler_module("charge_payment")
refund_payment = handler_module("refund_payment")
payment_provider = handler_module("payment_provider")


@pytest.fixture
def tables():
    with mocked_tables() as created:
        yield created


def an_order(**change) -> dict:
    order = {
        "order_id": "o-1",
        "customer": {"customer_id": "c-1", "email": "ada@example.com", "phone": "+14155550100"},
        "items": [{"sku": "SKU-TEE", "quantity": 1}, {"sku": "SKU-MUG", "quantity": 2}],
        "amount_cents": 2405,
        "currency": "USD",
        "payment_token": "tok_success",
    }
    order.update(change)
    return order


# validate_order -------------------------------------------------------------------------------------


def test_a_valid_order_comes_back_normalised():
    order = an_order(
        items=[{"sku": "SKU-TEE", "quantity": 1}, {"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-TEE", "quantity": 3}]
    )

    result = validate_order.lambda_handler(order, None)

    assert result == {
        "order_id": "o-1",
        "customer": {"customer_id": "c-1", "email": "ada@example.com", "phone": "+14155550100"},
        "items": [{"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-TEE", "quantity": 4}],  # merged, sorted
        "amount_cents": 2405,
        "currency": "USD",
        "display_amount": "USD 24.05",
        "payment_token": "tok_success",
        "contact": {"delivery_mode": "dual", "user_email": "ada@example.com", "user_phone": "+14155550100"},
    }


@pytest.mark.parametrize(
    "customer,contact",
    [
        ({"customer_id": "c", "email": "a@example.com"}, {"delivery_mode": "mail", "user_email": "a@example.com"}),
        ({"customer_id": "c", "phone": "+4930123456"}, {"delivery_mode": "text", "user_phone": "+4930123456"}),
    ],
)
def test_the_delivery_mode_follows_the_contact_details_the_order_carries(customer, contact):
    assert validate_order.validate(an_order(customer=customer))["contact"] == contact


INVALID = [
    ("not an object", None, "JSON object"),
    ({"order_id": ""}, "order_id", "order_id"),
    ({"order_id": "has space"}, "order_id", "order_id"),
    ({"order_id": "x" * 61}, "order_id", "order_id"),
    ({"customer": "c-1"}, "customer", "customer:"),
    ({"customer": {"email": "a@example.com"}}, "customer", "customer.customer_id"),
    ({"customer": {"customer_id": "c"}}, "customer", "an email or a phone"),
    ({"customer": {"customer_id": "c", "email": "user@localhost"}}, "customer", "customer.email"),
    ({"customer": {"customer_id": "c", "email": "\U0001f642@example.com"}}, "customer", "customer.email"),
    ({"customer": {"customer_id": "c", "email": "ada@ex\u00e4mple.com"}}, "customer", "customer.email"),
    ({"customer": {"customer_id": "c", "phone": "4155550100"}}, "customer", "customer.phone"),
    ({"customer": {"customer_id": "c", "phone": "+1 415 555 0100"}}, "customer", "customer.phone"),
    ({"items": []}, "items", "items: a list"),
    ({"items": [{"sku": "A", "quantity": 1}] * 26}, "items", "items: a list"),
    ({"items": [{"quantity": 1}]}, "items", "items[0].sku"),
    ({"items": [{"sku": "A", "quantity": 0}]}, "items", "items[0].quantity"),
    ({"items": [{"sku": "A", "quantity": True}]}, "items", "items[0].quantity"),
    ({"items": [{"sku": "A", "quantity": 60}, {"sku": "A", "quantity": 60}]}, "items", "adds up to 120"),
    ({"amount_cents": 0}, "amount_cents", "amount_cents"),
    ({"amount_cents": 10.5}, "amount_cents", "amount_cents"),
    ({"amount_cents": "100"}, "amount_cents", "amount_cents"),
    ({"currency": "usd"}, "currency", "currency"),
    ({"currency": "ABC"}, "currency", "currency: ABC is not a currency the payment provider takes"),
    ({"currency": "JPY"}, "currency", "currency: JPY is not a currency the payment provider takes"),
    ({"payment_token": "4242424242424242"}, "payment_token", "payment_token"),
]


@pytest.mark.parametrize("change,field,message", INVALID, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(INVALID)])
def test_an_invalid_order_raises_invalid_order_naming_the_field(change, field, message):
    order = change if not isinstance(change, dict) else an_order(**change)
    if isinstance(change, dict) and "customer" in change and isinstance(change["customer"], dict):
        order["customer"] = change["customer"]

    with pytest.raises(validate_order.InvalidOrder) as raised:
        validate_order.lambda_handler(order, None)

    assert message in str(raised.value)
    assert type(raised.value).__name__ == "InvalidOrder"  # the error name the definition catches


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(validate_order.InvalidOrder) as raised:
        validate_order.validate(an_order(amount_cents=-1, currency="dollars"))
    assert "amount_cents" in str(raised.value) and "currency" in str(raised.value)


@pytest.mark.parametrize("currency", sorted(validate_order.PAYMENT_CURRENCIES))
def test_every_currency_the_payment_provider_takes_is_valid(currency):
    assert validate_order.validate(an_order(currency=currency))["display_amount"] == f"{currency} 24.05"


def test_the_currency_list_is_the_one_documented_in_docs_orders_md():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "orders.md").read_text()
    [row] = [line for line in docs.splitlines() if line.startswith("| `currency` |")]
    assert set(re.findall(r"`([A-Z]{3})`", row)) == set(validate_order.PAYMENT_CURRENCIES)


def test_validation_logs_one_json_line(capsys):
    validate_order.lambda_handler(an_order(), None)

    [line] = capsys.readouterr().out.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["order_id"] == "o-1" and entry["message"] == "order valid"


# check_fraud ---------------------------------------------------------------------------------------


def test_an_amount_up_to_the_limit_is_clear_and_above_it_is_a_fraud_suspect():
    assert check_fraud.assess("o-1", 5000, 5000)["status"] == "CLEAR"
    with pytest.raises(check_fraud.FraudSuspected, match="5001 is above the limit of 5000"):
        check_fraud.assess("o-1", 5001, 5000)


def test_the_handler_applies_the_configured_limit(monkeypatch):
    monkeypatch.setattr(check_fraud, "AMOUNT_LIMIT_CENTS", 100)
    assert check_fraud.lambda_handler({"order_id": "o", "amount_cents": 100}, None)["status"] == "CLEAR"
    with pytest.raises(check_fraud.FraudSuspected):
        check_fraud.lambda_handler({"order_id": "o", "amount_cents": 101}, None)


def test_a_handler_refuses_input_the_state_machine_would_never_send():
    with pytest.raises(ValueError, match="amount_cents"):
        check_fraud.lambda_handler({"order_id": "o", "amount_cents": True}, None)


# reserve_inventory / release_inventory ----------------------------------------------------------------

ITEMS = [{"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-TEE", "quantity": 1}]


def reserve(tables, order_id="o-1", items=ITEMS):
    return reserve_inventory.reserve(tables.client, tables.stock, tables.orders, order_id, items)


def release(tables, order_id="o-1", items=ITEMS):
    return release_inventory.release(tables.client, tables.stock, tables.orders, order_id, items)


def test_a_reservation_takes_every_item_and_marks_the_order(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 1})
    tables.record_order("o-1")

    assert reserve(tables) == {"status": "RESERVED", "replayed": False}

    assert (tables.available("SKU-MUG"), tables.available("SKU-TEE")) == (3, 0)
    assert tables.item(tables.orders, "order_id", "o-1")["reservation_status"] == {"S": "RESERVED"}


def test_a_repeated_reservation_takes_nothing_more(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    tables.record_order("o-1")
    reserve(tables)

    assert reserve(tables) == {"status": "RESERVED", "replayed": True}
    assert (tables.available("SKU-MUG"), tables.available("SKU-TEE")) == (3, 4)


@pytest.mark.parametrize(
    "stock,expected",
    [
        ({"SKU-MUG": 5, "SKU-TEE": 0}, "SKU-TEE (0 available, 1 wanted)"),
        ({"SKU-MUG": 1, "SKU-TEE": 5}, "SKU-MUG (1 available, 2 wanted)"),
        ({"SKU-MUG": 5}, "SKU-TEE (unknown, 1 wanted)"),
    ],
)
def test_a_short_item_fails_out_of_stock_and_takes_nothing(tables, stock, expected):
    tables.put_stock(**stock)
    tables.record_order("o-1")

    with pytest.raises(reserve_inventory.OutOfStock) as raised:
        reserve(tables)

    assert expected in str(raised.value)
    assert {sku: tables.available(sku) for sku in stock} == stock  # never negative, never partial
    assert "reservation_status" not in tables.item(tables.orders, "order_id", "o-1")


def test_an_order_without_a_record_cannot_be_reserved(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    with pytest.raises(reserve_inventory.OrderNotRecorded):
        reserve(tables)
    assert tables.available("SKU-MUG") == 5


def test_a_released_reservation_is_not_taken_again(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    tables.record_order("o-1")
    reserve(tables)
    release(tables)

    with pytest.raises(reserve_inventory.ReservationClosed):
        reserve(tables)
    assert (tables.available("SKU-MUG"), tables.available("SKU-TEE")) == (5, 5)


def test_a_release_puts_everything_back_once(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    tables.record_order("o-1")
    reserve(tables)

    assert release(tables) == {"status": "RELEASED", "replayed": False}
    assert release(tables) == {"status": "RELEASED", "replayed": True}
    assert (tables.available("SKU-MUG"), tables.available("SKU-TEE")) == (5, 5)
    assert tables.item(tables.orders, "order_id", "o-1")["reservation_status"] == {"S": "RELEASED"}


def test_releasing_an_order_that_was_never_reserved_changes_nothing(tables):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    tables.record_order("o-1")

    assert release(tables) == {"status": "NOT_RESERVED", "replayed": False}
    assert (tables.available("SKU-MUG"), tables.available("SKU-TEE")) == (5, 5)


def test_the_inventory_handlers_use_their_module_clients_and_tables(tables, monkeypatch):
    tables.put_stock(**{"SKU-MUG": 5, "SKU-TEE": 5})
    tables.record_order("o-1")
    for module in (reserve_inventory, release_inventory):
        monkeypatch.setattr(module, "DYNAMODB", tables.client)
        monkeypatch.setattr(module, "STOCK_TABLE", tables.stock)
        monkeypatch.setattr(module, "ORDERS_TABLE", tables.orders)

    assert reserve_inventory.lambda_handler({"order_id": "o-1", "items": ITEMS}, None)["status"] == "RESERVED"
    assert release_inventory.lambda_handler({"order_id": "o-1", "items": ITEMS}, None)["status"] == "RELEASED"
    with pytest.raises(ValueError, match="item"):
        reserve_inventory.lambda_handler({"order_id": "o-1", "items": [{"sku": "SKU-MUG", "quantity": -1}]}, None)


# payment provider, charge_payment / refund_payment --------------------------------------------------------


def charge(tables, token="tok_success", order_id="o-1", amount=2400):
    return payment_provider.charge(tables.client, tables.payments, order_id, amount, "USD", token)


def ledger(tables, order_id="o-1") -> dict:
    item = tables.item(tables.payments, "order_id", order_id)
    return {k: next(iter(v.values())) for k, v in item.items()} if item else {}


def test_tok_success_charges_once_however_often_it_is_called(tables):
    first = charge(tables)
    second = charge(tables)

    assert first["status"] == "CHARGED" and first["charge_id"].startswith("ch_")
    assert second["charge_id"] == first["charge_id"]
    assert ledger(tables)["status"] == "CHARGED" and ledger(tables)["amount_cents"] == "2400"


@pytest.mark.parametrize("token,reason", [("tok_declined", "card declined"), ("tok_stolen", "unknown payment token")])
def test_a_declined_or_unknown_token_is_declined_and_recorded(tables, token, reason):
    with pytest.raises(payment_provider.PaymentDeclined, match=reason):
        charge(tables, token)
    assert ledger(tables)["status"] == "DECLINED" and "charge_id" not in ledger(tables)


def test_the_provider_declines_a_currency_it_does_not_take(tables):
    with pytest.raises(payment_provider.PaymentDeclined, match="currency ABC"):
        payment_provider.charge(tables.client, tables.payments, "o-1", 2400, "ABC", "tok_success")
    assert ledger(tables)["status"] == "DECLINED" and "charge_id" not in ledger(tables)


def test_tok_flaky_fails_transiently_for_its_first_attempts_then_charges(tables):
    for _ in range(payment_provider.FLAKY_FAILURES):
        with pytest.raises(payment_provider.PaymentTransientError):
            charge(tables, "tok_flaky")
    assert charge(tables, "tok_flaky")["attempts"] == payment_provider.FLAKY_FAILURES + 1
    # The count is per order: another order starts failing again.
    with pytest.raises(payment_provider.PaymentTransientError):
        charge(tables, "tok_flaky", order_id="o-2")


def test_tok_unavailable_always_fails_transiently(tables):
    for _ in range(5):
        with pytest.raises(payment_provider.PaymentTransientError):
            charge(tables, "tok_unavailable")
    assert ledger(tables)["attempts"] == "5" and "status" not in ledger(tables)


def test_a_refund_refunds_a_charge_once(tables):
    charge(tables)

    first = payment_provider.refund(tables.client, tables.payments, "o-1")
    again = payment_provider.refund(tables.client, tables.payments, "o-1")

    assert first["status"] == "REFUNDED" and first["refund_id"].startswith("re_") and not first["replayed"]
    assert again == {"status": "REFUNDED", "refund_id": first["refund_id"], "replayed": True}
    assert ledger(tables)["status"] == "REFUNDED"


@pytest.mark.parametrize("before", ["nothing", "tok_declined", "tok_unavailable"])
def test_refunding_an_order_that_was_never_charged_refunds_nothing(tables, before):
    if before != "nothing":
        with pytest.raises((payment_provider.PaymentDeclined, payment_provider.PaymentTransientError)):
            charge(tables, before)

    assert payment_provider.refund(tables.client, tables.payments, "o-1") == {
        "status": "NOT_CHARGED",
        "replayed": False,
    }


def test_a_refunded_order_is_not_charged_again(tables):
    charge(tables)
    payment_provider.refund(tables.client, tables.payments, "o-1")
    with pytest.raises(payment_provider.PaymentDeclined, match="refunded"):
        charge(tables)


def test_the_payment_handlers_raise_the_errors_the_definition_catches(tables, monkeypatch):
    for module in (charge_payment, refund_payment):
        monkeypatch.setattr(module, "DYNAMODB", tables.client)
        monkeypatch.setattr(module, "PAYMENTS_TABLE", tables.payments)
    event = {"order_id": "o-1", "amount_cents": 2400, "currency": "USD"}

    with pytest.raises(Exception) as declined:
        charge_payment.lambda_handler({**event, "order_id": "o-2", "payment_token": "tok_declined"}, None)
    with pytest.raises(Exception) as transient:
        charge_payment.lambda_handler({**event, "order_id": "o-3", "payment_token": "tok_unavailable"}, None)
    charged = charge_payment.lambda_handler({**event, "payment_token": "tok_success"}, None)

    assert type(declined.value).__name__ == "PaymentDeclined"
    assert type(transient.value).__name__ == "PaymentTransientError"
    assert charged["status"] == "CHARGED"
    assert refund_payment.lambda_handler({"order_id": "o-1"}, None)["status"] == "REFUNDED"
