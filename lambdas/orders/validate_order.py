"""validate_order: checks an order request and returns it normalised.

Rules (each broken rule is listed in the InvalidOrder message):
- order_id: 1-60 characters, letters, digits, "-" and "_", starting with a letter
  or digit (it names the order's notification executions);
- customer: customer_id (1-64 characters) and at least one of email (one "@", a
  dot in the domain, printable ASCII without spaces) and phone (E.164: "+", then 7-15 digits);
- items: 1-25 entries of {"sku": 1-64 characters, "quantity": whole number 1-100};
  entries for the same sku are merged (at most 100 in all);
- amount_cents: whole number of the currency's minor unit, 1 to 100,000,000;
- currency: an ISO 4217 code the payment provider takes (order_common.PAYMENT_CURRENCIES);
- payment_token: a payment provider token, "tok_" and 1-60 more characters.

The result adds `contact`, the notification request's recipient fields:
delivery_mode "dual" when the order has an email and a phone, "mail" or "text"
when it has one of them.
"""

from __future__ import annotations

import re
from typing import Any

from order_common import PAYMENT_CURRENCIES, log

# This function calls no AWS API.
PERMISSIONS: dict[str, list[str]] = {}

ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")
# Printable ASCII only: SES refuses internationalised addresses, and an order
# whose confirmation cannot be sent should be refused before anything is taken.
_ADDRESS = "!-?A-~"  # printable ASCII but space and "@"
_NO_DOT = "!-\\-/-?A-~"  # the same without "."
EMAIL = re.compile(rf"^[{_ADDRESS}]+@[{_NO_DOT}][{_ADDRESS}]*\.[{_NO_DOT}]+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
TOKEN = re.compile(r"^tok_[A-Za-z0-9_]{1,60}$")
MAX_ITEMS = 25
MAX_QUANTITY = 100
MAX_AMOUNT_CENTS = 100_000_000


class InvalidOrder(Exception):
    """The request is not an order this workflow can process; nothing was recorded."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest


def validate(request: Any) -> dict[str, Any]:
    if not isinstance(request, dict):
        raise InvalidOrder("the order must be a JSON object")
    problems: list[str] = []

    order_id = request.get("order_id")
    if not (isinstance(order_id, str) and ORDER_ID.match(order_id)):
        problems.append("order_id: 1-60 letters, digits, '-' or '_', starting with a letter or digit")

    customer = request.get("customer")
    contact: dict[str, str] = {}
    normalised_customer: dict[str, str] = {}
    if not isinstance(customer, dict):
        problems.append("customer: an object with customer_id and an email or a phone")
    else:
        if not _text(customer.get("customer_id"), 64):
            problems.append("customer.customer_id: 1-64 characters")
        else:
            normalised_customer["customer_id"] = customer["customer_id"]
        email, phone = customer.get("email"), customer.get("phone")
        if email is not None:
            if isinstance(email, str) and len(email) <= 254 and EMAIL.match(email):
                normalised_customer["email"] = contact["user_email"] = email
            else:
                problems.append("customer.email: an email address")
        if phone is not None:
            if isinstance(phone, str) and PHONE.match(phone):
                normalised_customer["phone"] = contact["user_phone"] = phone
            else:
                problems.append("customer.phone: E.164, '+' and 7-15 digits")
        if email is None and phone is None:
            problems.append("customer: an email or a phone to send the confirmation to")

    items = request.get("items")
    merged: dict[str, int] = {}
    if not (isinstance(items, list) and 0 < len(items) <= MAX_ITEMS):
        problems.append(f"items: a list of 1-{MAX_ITEMS} items")
    else:
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not _text(item.get("sku"), 64):
                problems.append(f"items[{index}].sku: 1-64 characters")
                continue
            quantity = item.get("quantity")
            if not (_is_int(quantity) and 0 < quantity <= MAX_QUANTITY):
                problems.append(f"items[{index}].quantity: a whole number from 1 to {MAX_QUANTITY}")
                continue
            merged[item["sku"]] = merged.get(item["sku"], 0) + quantity
        for sku, quantity in merged.items():
            if quantity > MAX_QUANTITY:
                problems.append(f"items: {sku} adds up to {quantity}, more than {MAX_QUANTITY}")

    amount = request.get("amount_cents")
    if not (_is_int(amount) and 0 < amount <= MAX_AMOUNT_CENTS):
        problems.append(f"amount_cents: a whole number from 1 to {MAX_AMOUNT_CENTS}")
    currency = request.get("currency")
    if not (isinstance(currency, str) and CURRENCY.match(currency)):
        problems.append("currency: an ISO 4217 code such as USD")
    elif currency not in PAYMENT_CURRENCIES:
        problems.append(
            f"currency: {currency} is not a currency the payment provider takes "
            f"({', '.join(sorted(PAYMENT_CURRENCIES))})"
        )
    token = request.get("payment_token")
    if not (isinstance(token, str) and TOKEN.match(token)):
        problems.append("payment_token: a provider token such as tok_success")

    if problems:
        raise InvalidOrder("; ".join(problems))

    contact["delivery_mode"] = "dual" if len(contact) == 2 else ("mail" if "user_email" in contact else "text")
    return {
        "order_id": order_id,
        "customer": normalised_customer,
        "items": [{"sku": sku, "quantity": merged[sku]} for sku in sorted(merged)],
        "amount_cents": amount,
        "currency": currency,
        "display_amount": f"{currency} {amount // 100}.{amount % 100:02d}",
        "payment_token": token,
        "contact": contact,
    }


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        order = validate(event)
    except InvalidOrder as error:
        log(
            "WARNING",
            "order rejected",
            order_id=event.get("order_id") if isinstance(event, dict) else None,
            problems=str(error),
        )
        raise
    log(
        "INFO",
        "order valid",
        order_id=order["order_id"],
        amount_cents=order["amount_cents"],
        items=len(order["items"]),
        delivery_mode=order["contact"]["delivery_mode"],
    )
    return order
