"""The state paths the end-to-end tests expect, in one place.

An execution's path is the names of the states it entered, in order
(harness/observe/observer.py). Every test that pins a path, whole or its end,
takes it from here: a state renamed or merged in definitions/notification.asl.json
or definitions/order.asl.json changes this file, and the few tests that name the
one state they count attempts of.
"""

from __future__ import annotations

# The notification workflow ------------------------------------------------------------------------

NOTIFICATION_VALIDATION = {
    "text": ["CheckCommonFields", "CheckPhone"],
    "mail": ["CheckCommonFields", "CheckEmail"],
    "dual": ["CheckCommonFields", "CheckPhone", "CheckEmail"],
}
NOTIFICATION_RECORD = ["PrepareRequest", "NormalizeRequest", "CheckOptionalFields", "RecordRequest", "DeliverChannels"]
# The states of DeliverChannels' branches a delivery passes through, by delivery mode.
NOTIFICATION_BRANCHES = {
    "text": {"IsSmsRequested", "SendSms", "IsEmailRequested", "SkipEmail"},
    "mail": {"IsSmsRequested", "SkipSms", "IsEmailRequested", "SendEmail"},
    "dual": {"IsSmsRequested", "SendSms", "IsEmailRequested", "SendEmail"},
}
NOTIFICATION_REPORT = ["RecordOutcome", "PublishOutcomeEvent", "PutOutcomeMetric", "CheckDelivered"]
NOTIFICATION_INVALID_MODE = ["CheckCommonFields", "RejectDeliveryMode"]
# How a notification that reached its channels ends, by its status.
NOTIFICATION_OUTCOME = {
    "DELIVERED": ["DecideOutcome", "MarkDelivered", *NOTIFICATION_REPORT, "ReportOutcome"],
    "PARTIALLY_DELIVERED": ["DecideOutcome", "MarkPartiallyDelivered", *NOTIFICATION_REPORT, "ReportOutcome"],
    "FAILED": ["DecideOutcome", "MarkFailed", *NOTIFICATION_REPORT, "FailDelivery"],
}
# How a notification ends that stops at the status table.
NOTIFICATION_DUPLICATE = ["RecordRequest", "ReportDuplicate"]
NOTIFICATION_UNRECORDED = ["RecordRequest", "RejectUnrecorded"]
NOTIFICATION_OUTCOME_UNRECORDED = ["RecordOutcome", "RejectUnrecordedOutcome"]


def assert_notification_path(execution, *, before: list[str], branches: set[str], after: list[str]) -> None:
    """Branch states interleave in any order, so they are compared as a set."""
    path = execution.path
    split = len(before)
    assert path[:split] == before, execution.describe()
    assert set(path[split : len(path) - len(after)]) == branches, execution.describe()
    assert path[len(path) - len(after) :] == after, execution.describe()


# The order workflow -------------------------------------------------------------------------------

ORDER_PREPARE = ["ValidateOrder", "RecordOrder", "PrepareOrder"]
# PrepareOrder's branches, and the states a branch ends in when its step fails.
ORDER_BRANCHES = {"ReserveInventory", "CheckFraud"}
ORDER_BRANCH_FAILURES = {"ReportReservationFailure", "ReportFraudCheckFailure"}
ORDER_INVALID = ["ValidateOrder", "RejectInvalidOrder", "FailOrder"]
ORDER_DUPLICATE = ["ValidateOrder", "RecordOrder", "ReportDuplicate"]

# The state that decides a failed order's outcome (status, reason, notice), by what failed.
ORDER_DECIDED_BY = {
    "fraud suspected": "FraudDetected",
    "out of stock": "StockShort",
    "fraud check failed": "FraudCheckFailed",
    "reservation failed": "ReservationFailed",
    "approval rejected": "ApprovalWasRejected",
    "approval timed out": "ApprovalExpired",
    "approval request failed": "FailedBeforeCharge",
    "payment declined": "PaymentWasDeclined",
    "payment unavailable": "PaymentWasUnavailable",
    "charge failed": "FailedAfterCharge",
    "confirmation failed": "FailedAfterCharge",
}
# The state that picks the cancellation notice's last sentence, by the refund's status.
ORDER_REFUND_NOTE = {"NOT_CHARGED": "NoteNotCharged", "REFUNDED": "NoteRefunded", "FAILED": "NoteRefundPending"}
ORDER_REFUND_FAILED = "RefundFailed"
ORDER_NOTICE_FAILED = "NotificationFailed"

_APPROVED = ["EvaluateChecks", "RequestApproval"]
_NO_APPROVAL = ["EvaluateChecks", "NoApprovalNeeded"]
_CHARGED = [*_NO_APPROVAL, "ChargePayment"]
_CONFIRMED = [
    "ChargePayment",
    "ConfirmOrder",
    "ConfirmationNotice",
    "NotifyCustomer",
    "RecordNotification",
    "RouteOutcome",
    "OrderConfirmed",
]


def _failed(*until_release: str, refund: str = "NOT_CHARGED") -> list[str]:
    """From the failure to the Fail state: release, record, notice, end."""
    end = ["RouteOutcome", "CompensationFailed", "FailOrder"] if refund == "FAILED" else ["RouteOutcome", "FailOrder"]
    return [
        *until_release,
        "ReleaseInventory",
        "RecordFailure",
        "ChooseRefundNote",
        ORDER_REFUND_NOTE[refund],
        "CancellationNotice",
        "NotifyCustomer",
        "RecordNotification",
        *end,
    ]


# Each outcome's path after PrepareOrder's branches.
ORDER_AFTER_CHECKS = {
    "confirmed": [*_NO_APPROVAL, *_CONFIRMED],
    "confirmed after approval": [*_APPROVED, *_CONFIRMED],
    "confirmed, notice failed": [
        *_NO_APPROVAL,
        "ChargePayment",
        "ConfirmOrder",
        "ConfirmationNotice",
        "NotifyCustomer",
        ORDER_NOTICE_FAILED,
        "RecordNotification",
        "RouteOutcome",
        "OrderConfirmed",
    ],
    "fraud suspected": _failed("EvaluateChecks", ORDER_DECIDED_BY["fraud suspected"], "SkipRefund"),
    "out of stock": _failed("EvaluateChecks", ORDER_DECIDED_BY["out of stock"], "SkipRefund"),
    "approval rejected": _failed(*_APPROVED, ORDER_DECIDED_BY["approval rejected"], "SkipRefund"),
    "approval timed out": _failed(*_APPROVED, ORDER_DECIDED_BY["approval timed out"], "SkipRefund"),
    "payment declined": _failed(*_CHARGED, ORDER_DECIDED_BY["payment declined"], "SkipRefund"),
    "payment unavailable": _failed(*_CHARGED, ORDER_DECIDED_BY["payment unavailable"], "RefundPayment"),
    "confirmation failed": _failed(
        *_CHARGED, "ConfirmOrder", ORDER_DECIDED_BY["confirmation failed"], "RefundPayment", refund="REFUNDED"
    ),
    "confirmation and refund failed": _failed(
        *_CHARGED,
        "ConfirmOrder",
        ORDER_DECIDED_BY["confirmation failed"],
        "RefundPayment",
        ORDER_REFUND_FAILED,
        refund="FAILED",
    ),
}


def assert_readable_cause(execution) -> None:
    """A failed execution's cause is a message for its caller: not a function's error document,
    with its stack trace and the runtime's file paths (those stay in the history)."""
    cause = execution.cause or ""
    assert cause and not cause.lstrip().startswith("{"), execution.describe()
    assert "stackTrace" not in cause and "/tmp/" not in cause and "Traceback" not in cause, cause


def assert_order_path(execution, outcome: str) -> None:
    """The order ran ORDER_PREPARE, both branches (interleaved, so compared as a set), then the outcome's path."""
    path, before, after = execution.path, ORDER_PREPARE, ORDER_AFTER_CHECKS[outcome]
    branch_end = len(before) + len([s for s in path if s in ORDER_BRANCHES | ORDER_BRANCH_FAILURES])
    assert path[: len(before)] == before, execution.describe()
    assert set(path[len(before) : branch_end]) >= ORDER_BRANCHES, execution.describe()
    assert path[branch_end:] == after, execution.describe()
