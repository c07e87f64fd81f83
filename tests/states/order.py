"""The order saga (definitions/order.asl.json), state by state, as Terraform renders it for
tests/test.tfvars.json: Lambda's own errors retried once (service_max_attempts), the
payment's transient errors twice (payment_max_attempts), approval from 100000 cents."""

from __future__ import annotations

from tests.states.cases import ANY_TEXT, Case, caught, caught_cases, context_object, error, result, retry_cases

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-{}"
TABLE = "sfn-refactor-test-orders"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sfn-refactor-order-approvals"
NOTIFICATIONS = "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-test-order:o-1"
NOW = "2026-03-01T10:00:02.000Z"
CONTEXT = context_object(EXECUTION, start="2026-03-01T10:00:00.000Z", entered=NOW)
ITEMS = [{"sku": "sku-1", "quantity": 2}]
CONTACT = {"delivery_mode": "mail", "user_email": "ann@example.com"}
ORDER = {
    "order_id": "o-1",
    "customer": {"customer_id": "c-1"},
    "amount_cents": 2500,
    "currency": "USD",
    "display_amount": "$25.00",
    "items": ITEMS,
    "payment_token": "tok_success",
    "contact": CONTACT,
}
LARGE = {**ORDER, "amount_cents": 100000, "display_amount": "$1,000.00"}
GIVEN = {"order": ORDER}
CHECKED = {"reservation": {"status": "RESERVED"}, "fraud": {"status": "CLEAR"}}


def lambda_result(payload) -> dict:
    return result({"StatusCode": 200, "Payload": payload})


def choice(id: str, state: str, next: str, variables: dict) -> Case:
    return Case(id, state, variables=variables, next=next, output={})


def failure(state: str, input: dict, next: str, outcome: dict, variables: dict | None = None) -> Case:
    """A compensation entry: what it records as the outcome, where the saga goes next."""
    return Case(f"{state}-outcome", state, input=input, variables=variables, next=next, assigned={"outcome": outcome})


def lambda_errors(state: str, then: str, variables: dict | None = None) -> list[Case]:
    """Lambda's own transient errors: retried once (lambda_retry, the state's first retrier)."""
    return retry_cases(state, ["Lambda.TooManyRequestsException"], 1, then, retrier=0, variables=variables)


def bookkeeping_errors(state: str, then: str | None, variables: dict) -> list[Case]:
    """A table write: the condition failing is not retried; anything else once (service_retry)."""
    return [
        Case(
            f"{state}-condition-failed-not-retried",
            state,
            variables=variables,
            mock=error("DynamoDB.ConditionalCheckFailedException"),
            retried=0,
            status="CAUGHT_ERROR",
            next=then,
            error="DynamoDB.ConditionalCheckFailedException",
        ),
        *retry_cases(state, ["DynamoDB.InternalServerErrorException"], 1, then, retrier=1, variables=variables),
    ]


STEP_FAILED = caught("OrderFailed", "boom")
VALIDATION = [
    Case(
        "valid-order-kept",
        "ValidateOrder",
        input=ORDER,
        mock=lambda_result(ORDER),
        next="RecordOrder",
        request={"FunctionName": FUNCTION.format("validate-order"), "Payload": ORDER},
        assigned={"order": ORDER, "outcome": None},
    ),
    Case(
        "invalid-order-rejected",
        "ValidateOrder",
        input=ORDER,
        mock=error("InvalidOrder", "amount_cents must be positive"),
        status="CAUGHT_ERROR",
        next="RejectInvalidOrder",
        error="InvalidOrder",
        output=caught("InvalidOrder", "amount_cents must be positive"),
        details={"catchIndex": 0},
    ),
    *lambda_errors("ValidateOrder", "FailBeforeRecording"),
    Case(
        "function-error-fails-before-recording",
        "ValidateOrder",
        mock=error("ValueError", "bug"),
        status="CAUGHT_ERROR",
        next="FailBeforeRecording",
        error="ValueError",
        details={"catchIndex": 1},
    ),
    failure(
        "RejectInvalidOrder",
        caught("InvalidOrder", "amount_cents must be positive"),
        "FailOrder",
        {"reason": "InvalidOrder", "cause": "amount_cents must be positive"},
    ),
    failure("FailBeforeRecording", STEP_FAILED, "FailOrder", {"reason": "OrderFailed", "cause": "boom"}),
    Case(
        "recorded-pending-once",
        "RecordOrder",
        variables=GIVEN,
        context=CONTEXT,
        mock=result({}),
        next="PrepareOrder",
        request={
            "TableName": TABLE,
            "Item": {
                "order_id": {"S": "o-1"},
                "status": {"S": "PENDING"},
                "customer_id": {"S": "c-1"},
                "amount_cents": {"N": "2500"},
                "currency": {"S": "USD"},
                "items": {"S": '[{"sku":"sku-1","quantity":2}]'},
                "delivery_mode": {"S": "mail"},
                "execution_arn": {"S": EXECUTION},
                "created_at": {"S": "2026-03-01T10:00:00.000Z"},
                "updated_at": {"S": NOW},
            },
            "ConditionExpression": "attribute_not_exists(order_id)",
        },
    ),
    *bookkeeping_errors("RecordOrder", "ReportDuplicate", GIVEN)[:1],
    *retry_cases(
        "RecordOrder", ["DynamoDB.InternalServerErrorException"], 1, "FailBeforeRecording", retrier=1, variables=GIVEN
    ),
    Case(
        "duplicate-answers-its-id",
        "ReportDuplicate",
        variables=GIVEN,
        output={"order_id": "o-1", "status": "DUPLICATE"},
    ),
]

PREPARATION = [
    Case(
        "checks-kept-as-variables",
        "PrepareOrder",
        variables=GIVEN,
        mock=result([{"status": "RESERVED"}, {"status": "CLEAR"}]),
        next="EvaluateChecks",
        assigned=CHECKED,
    ),
    Case(
        "a-branch-error-fails-before-charge",
        "PrepareOrder",
        variables=GIVEN,
        mock=error("States.Runtime"),
        caused_by="CheckFraud",
        status="CAUGHT_ERROR",
        next="FailedBeforeCharge",
        error="States.Runtime",
    ),
    Case(
        "stock-reserved",
        "ReserveInventory",
        variables=GIVEN,
        mock=lambda_result({"status": "RESERVED"}),
        request={"FunctionName": FUNCTION.format("reserve-inventory"), "Payload": {"order_id": "o-1", "items": ITEMS}},
        output={"status": "RESERVED"},
    ),
    Case(
        "out-of-stock-reported",
        "ReserveInventory",
        variables=GIVEN,
        mock=error("OutOfStock", "sku-1: 1 left"),
        status="CAUGHT_ERROR",
        next="ReportReservationFailure",
        error="OutOfStock",
    ),
    *lambda_errors("ReserveInventory", "ReportReservationFailure", GIVEN),
    Case(
        "reservation-failure-as-status",
        "ReportReservationFailure",
        input=caught("OutOfStock", "sku-1: 1 left"),
        output={"status": "OutOfStock", "cause": "sku-1: 1 left"},
    ),
    Case(
        "fraud-checked",
        "CheckFraud",
        variables=GIVEN,
        mock=lambda_result({"status": "CLEAR"}),
        request={
            "FunctionName": FUNCTION.format("check-fraud"),
            "Payload": {"order_id": "o-1", "amount_cents": 2500, "customer_id": "c-1"},
        },
        output={"status": "CLEAR"},
    ),
    Case(
        "fraud-suspected-reported",
        "CheckFraud",
        variables=GIVEN,
        mock=error("FraudSuspected", "over the limit"),
        status="CAUGHT_ERROR",
        next="ReportFraudCheckFailure",
        error="FraudSuspected",
    ),
    *lambda_errors("CheckFraud", "ReportFraudCheckFailure", GIVEN),
    Case(
        "fraud-failure-as-status",
        "ReportFraudCheckFailure",
        input=caught("FraudSuspected", "over the limit"),
        output={"status": "FraudSuspected", "cause": "over the limit"},
    ),
    choice(
        "fraud-first",
        "EvaluateChecks",
        "FraudDetected",
        {**GIVEN, "reservation": {"status": "OutOfStock"}, "fraud": {"status": "FraudSuspected"}},
    ),
    choice(
        "then-stock",
        "EvaluateChecks",
        "StockShort",
        {**GIVEN, "reservation": {"status": "OutOfStock"}, "fraud": {"status": "CLEAR"}},
    ),
    choice(
        "fraud-check-broke",
        "EvaluateChecks",
        "FraudCheckFailed",
        {**GIVEN, **CHECKED, "fraud": {"status": "States.Timeout"}},
    ),
    choice(
        "reservation-broke",
        "EvaluateChecks",
        "ReservationFailed",
        {**GIVEN, **CHECKED, "reservation": {"status": "States.Timeout"}},
    ),
    choice("large-needs-approval", "EvaluateChecks", "RequestApproval", {"order": LARGE, **CHECKED}),
    choice("small-goes-to-charge", "EvaluateChecks", "NoApprovalNeeded", {**GIVEN, **CHECKED}),
    Case("no-approval-recorded", "NoApprovalNeeded", next="ChargePayment", assigned={"approval": {"required": False}}),
]

APPROVAL = [
    Case(
        "operator-asked-with-the-token",
        "RequestApproval",
        variables={"order": LARGE},
        context=CONTEXT,
        mock=result({"approved_by": "op-1"}),
        next="ChargePayment",
        request={
            "QueueUrl": QUEUE,
            "MessageBody": {
                "task_token": ANY_TEXT,  # the engine's own token (the embedded engine ignores context's)
                "order_id": "o-1",
                "customer_id": "c-1",
                "amount_cents": 100000,
                "currency": "USD",
                "display_amount": "$1,000.00",
                "items": ITEMS,
                "execution_arn": EXECUTION,
                "requested_at": NOW,
                "timeout_seconds": 4,
                "heartbeat_seconds": 2,
            },
        },
        assigned={"approval": {"required": True, "decision": {"approved_by": "op-1"}}},
    ),
    *caught_cases(
        "RequestApproval",
        "approval-{}",
        {
            "ApprovalRejected": "ApprovalWasRejected",
            "States.Timeout": "ApprovalExpired",
            "States.HeartbeatTimeout": "ApprovalExpired",
            "SQS.QueueDoesNotExistException": "FailedBeforeCharge",
        },
        {"order": LARGE},
    ),
]

PAYMENT = [
    Case(
        "charged-once-per-order",
        "ChargePayment",
        variables={**GIVEN, "approval": {"required": False}},
        mock=lambda_result({"charge_id": "ch-1", "attempts": 1}),
        next="ConfirmOrder",
        request={
            "FunctionName": FUNCTION.format("charge-payment"),
            "Payload": {"order_id": "o-1", "amount_cents": 2500, "currency": "USD", "payment_token": "tok_success"},
        },
        assigned={"charge_id": "ch-1"},
    ),
    Case(
        "declined-not-retried",
        "ChargePayment",
        variables=GIVEN,
        mock=error("PaymentDeclined", "card declined"),
        retried=0,
        status="CAUGHT_ERROR",
        next="PaymentWasDeclined",
        error="PaymentDeclined",
        output=caught("PaymentDeclined", "card declined"),
    ),
    *retry_cases(
        "ChargePayment",
        ["PaymentTransientError", "Sandbox.Timedout", "States.Timeout"],
        2,
        "PaymentWasUnavailable",
        retrier=1,
        variables=GIVEN,
    ),
    *lambda_errors("ChargePayment", "FailedAfterCharge", GIVEN),
    Case(
        "confirmed-if-still-pending",
        "ConfirmOrder",
        variables={**GIVEN, "charge_id": "ch-1", "approval": {"required": False}},
        context=CONTEXT,
        mock=result({}),
        next="ConfirmationNotice",
        request={
            "TableName": TABLE,
            "Key": {"order_id": {"S": "o-1"}},
            "UpdateExpression": "SET #status = :confirmed, charge_id = :charge_id, approval = :approval, "
            "confirmed_at = :now, updated_at = :now",
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":confirmed": {"S": "CONFIRMED"},
                ":pending": {"S": "PENDING"},
                ":charge_id": {"S": "ch-1"},
                ":approval": {"S": '{"required":false}'},
                ":now": {"S": NOW},
            },
        },
    ),
    *bookkeeping_errors("ConfirmOrder", "FailedAfterCharge", {**GIVEN, "charge_id": "ch-1", "approval": {}}),
    Case(
        "confirmation-notice",
        "ConfirmationNotice",
        variables=GIVEN,
        next="NotifyCustomer",
        assigned={
            "notification": {
                "notification_id": "order-o-1-confirmed",
                "subject": "Order o-1 confirmed",
                "message_content": "Your order o-1 is confirmed. We charged $25.00.",
                "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": ANY_TEXT,
            }
        },
    ),
]


def outcome(status: str, reason: str, message: str, error_name: str, cause: str) -> dict:
    return {"status": status, "reason": reason, "customer_message": message, "error": error_name, "cause": cause}


TECHNICAL = "of a technical problem on our side"
COMPENSATION = [
    failure(
        "FraudDetected",
        {},
        "SkipRefund",
        outcome("CANCELLED", "FraudSuspected", "we could not verify the payment", "FraudSuspected", "over the limit"),
        {"fraud": {"status": "FraudSuspected", "cause": "over the limit"}},
    ),
    failure(
        "StockShort",
        {},
        "SkipRefund",
        outcome("CANCELLED", "OutOfStock", "some items are out of stock", "OutOfStock", "sku-1: 1 left"),
        {"reservation": {"status": "OutOfStock", "cause": "sku-1: 1 left"}},
    ),
    failure(
        "FraudCheckFailed",
        {},
        "SkipRefund",
        outcome("FAILED", "OrderFailed", TECHNICAL, "States.Timeout", "slow"),
        {"fraud": {"status": "States.Timeout", "cause": "slow"}},
    ),
    failure(
        "ReservationFailed",
        {},
        "SkipRefund",
        outcome("FAILED", "OrderFailed", TECHNICAL, "States.Timeout", "slow"),
        {"reservation": {"status": "States.Timeout", "cause": "slow"}},
    ),
    failure(
        "FailedBeforeCharge",
        STEP_FAILED,
        "SkipRefund",
        outcome("FAILED", "OrderFailed", TECHNICAL, "OrderFailed", "boom"),
    ),
    failure(
        "ApprovalWasRejected",
        caught("ApprovalRejected", "too large"),
        "SkipRefund",
        outcome("CANCELLED", "ApprovalRejected", "it was not approved", "ApprovalRejected", "too large"),
    ),
    failure(
        "ApprovalExpired",
        caught("States.Timeout", "no answer"),
        "SkipRefund",
        outcome("CANCELLED", "ApprovalTimedOut", "it was not approved in time", "States.Timeout", "no answer"),
    ),
    failure(
        "PaymentWasDeclined",
        caught("PaymentDeclined", "card declined"),
        "SkipRefund",
        outcome("CANCELLED", "PaymentDeclined", "the payment was declined", "PaymentDeclined", "card declined"),
    ),
    failure(
        "PaymentWasUnavailable",
        caught("PaymentTransientError", "try later"),
        "RefundPayment",
        outcome(
            "FAILED", "PaymentUnavailable", "the payment service is unavailable", "PaymentTransientError", "try later"
        ),
    ),
    failure(
        "FailedAfterCharge",
        STEP_FAILED,
        "RefundPayment",
        outcome("FAILED", "OrderFailed", TECHNICAL, "OrderFailed", "boom"),
    ),
    Case("nothing-to-refund", "SkipRefund", next="ReleaseInventory", assigned={"refund": {"status": "NOT_CHARGED"}}),
    Case(
        "refunded",
        "RefundPayment",
        variables=GIVEN,
        mock=lambda_result({"status": "REFUNDED"}),
        next="ReleaseInventory",
        request={"FunctionName": FUNCTION.format("refund-payment"), "Payload": {"order_id": "o-1"}},
        assigned={"refund": {"status": "REFUNDED"}},
    ),
    *retry_cases("RefundPayment", ["PaymentTransientError"], 2, "RefundFailed", retrier=1, variables=GIVEN),
    *lambda_errors("RefundPayment", "RefundFailed", GIVEN),
    Case(
        "refund-failure-recorded",
        "RefundFailed",
        input=caught("PaymentTransientError", "try later"),
        next="ReleaseInventory",
        assigned={"refund": {"status": "FAILED", "error": "PaymentTransientError"}},
    ),
    Case(
        "released",
        "ReleaseInventory",
        variables=GIVEN,
        mock=lambda_result({"status": "RELEASED"}),
        next="RecordFailure",
        request={"FunctionName": FUNCTION.format("release-inventory"), "Payload": {"order_id": "o-1", "items": ITEMS}},
        assigned={"release": {"status": "RELEASED"}},
    ),
    Case(
        "release-error-caught",
        "ReleaseInventory",
        variables=GIVEN,
        mock=error("ValueError", "bug"),
        status="CAUGHT_ERROR",
        next="ReleaseFailed",
        error="ValueError",
    ),
    *lambda_errors("ReleaseInventory", "ReleaseFailed", GIVEN),
    Case(
        "release-failure-recorded",
        "ReleaseFailed",
        input=caught("ValueError", "bug"),
        next="RecordFailure",
        assigned={"release": {"status": "FAILED", "error": "ValueError"}},
    ),
]

FAILED_ORDER = {
    **GIVEN,
    "outcome": outcome("CANCELLED", "PaymentDeclined", "the payment was declined", "PaymentDeclined", "card declined"),
    "refund": {"status": "NOT_CHARGED"},
    "release": {"status": "RELEASED"},
}
NOTICE = {
    "notification_id": "order-o-1-cancelled",
    "subject": "Order o-1 cancelled",
    "message_content": "Your order o-1 was cancelled because the payment was declined. You have not been charged.",
    "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": EXECUTION,
}
NOTIFIED = {**FAILED_ORDER, "notification": NOTICE, "notification_result": {"status": "DELIVERED"}}
ENDING = [
    Case(
        "failure-recorded",
        "RecordFailure",
        variables=FAILED_ORDER,
        context=CONTEXT,
        mock=result({}),
        next="ChooseRefundNote",
        request={
            "TableName": TABLE,
            "Key": {"order_id": {"S": "o-1"}},
            "UpdateExpression": "SET #status = :status, reason = :reason, failure_error = :error, failure_cause = :cause, "
            "refund_status = :refund, release_status = :release, updated_at = :now, completed_at = :now",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":status": {"S": "CANCELLED"},
                ":reason": {"S": "PaymentDeclined"},
                ":error": {"S": "PaymentDeclined"},
                ":cause": {"S": "card declined"},
                ":refund": {"S": "NOT_CHARGED"},
                ":release": {"S": "RELEASED"},
                ":now": {"S": NOW},
            },
        },
    ),
    *bookkeeping_errors("RecordFailure", "ChooseRefundNote", FAILED_ORDER),
    choice("refunded-note", "ChooseRefundNote", "NoteRefunded", {"refund": {"status": "REFUNDED"}}),
    choice("refund-failed-note", "ChooseRefundNote", "NoteRefundPending", {"refund": {"status": "FAILED"}}),
    choice("not-charged-note", "ChooseRefundNote", "NoteNotCharged", {"refund": {"status": "NOT_CHARGED"}}),
    *(
        Case(f"note-{state}", state, variables=GIVEN, next="CancellationNotice", assigned={"refund_note": note})
        for state, note in [
            ("NoteRefunded", "Your payment of $25.00 has been refunded."),
            ("NoteRefundPending", "Any payment taken will be refunded."),
            ("NoteNotCharged", "You have not been charged."),
        ]
    ),
    Case(
        "cancellation-notice",
        "CancellationNotice",
        variables={**FAILED_ORDER, "refund_note": "You have not been charged."},
        next="NotifyCustomer",
        assigned={"notification": {**NOTICE, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": ANY_TEXT}},
    ),
    Case(
        "notice-through-the-notification-workflow",
        "NotifyCustomer",
        variables={**FAILED_ORDER, "notification": NOTICE},
        mock=result(
            {
                "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-notification:order-o-1-cancelled",
                "StateMachineArn": NOTIFICATIONS,
                "Status": "SUCCEEDED",
                "StartDate": "2026-03-01T10:00:03.000Z",
                "Output": {"status": "DELIVERED"},
            }
        ),
        validation="NONE",  # .sync:2 answers Output as JSON, where DescribeExecution's model has a string
        next="RecordNotification",
        request={"StateMachineArn": NOTIFICATIONS, "Name": "order-o-1-cancelled", "Input": {**CONTACT, **NOTICE}},
        assigned={
            "notification_result": {
                "status": "DELIVERED",
                "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-notification:order-o-1-cancelled",
            }
        },
    ),
    *retry_cases(
        "NotifyCustomer",
        ["StepFunctions.ExecutionLimitExceededException"],
        1,
        "NotificationFailed",
        retrier=0,
        variables={**FAILED_ORDER, "notification": NOTICE},
    ),
    Case(
        "failed-notice-caught",
        "NotifyCustomer",
        variables={**FAILED_ORDER, "notification": NOTICE},
        mock=error("States.TaskFailed", "DeliveryFailed"),
        status="CAUGHT_ERROR",
        next="NotificationFailed",
        error="States.TaskFailed",
    ),
    Case(
        "notice-failure-recorded",
        "NotificationFailed",
        input=caught("States.TaskFailed", "DeliveryFailed"),
        next="RecordNotification",
        assigned={"notification_result": {"status": "FAILED", "error": "States.TaskFailed"}},
    ),
    Case(
        "notice-recorded",
        "RecordNotification",
        variables=NOTIFIED,
        context=CONTEXT,
        mock=result({}),
        next="RouteOutcome",
        request={
            "TableName": TABLE,
            "Key": {"order_id": {"S": "o-1"}},
            "UpdateExpression": "SET notification_id = :id, notification_status = :status, updated_at = :now",
            "ExpressionAttributeValues": {
                ":id": {"S": "order-o-1-cancelled"},
                ":status": {"S": "DELIVERED"},
                ":now": {"S": NOW},
            },
        },
    ),
    *retry_cases(
        "RecordNotification",
        ["DynamoDB.InternalServerErrorException"],
        1,
        "RouteOutcome",
        retrier=1,
        variables=NOTIFIED,
    ),
    choice(
        "no-outcome-confirmed", "RouteOutcome", "OrderConfirmed", {"outcome": None, "refund": None, "release": None}
    ),
    choice(
        "refund-failed-compensation",
        "RouteOutcome",
        "CompensationFailed",
        {**FAILED_ORDER, "refund": {"status": "FAILED"}},
    ),
    choice(
        "release-failed-compensation",
        "RouteOutcome",
        "CompensationFailed",
        {**FAILED_ORDER, "release": {"status": "FAILED"}},
    ),
    choice("compensated-fails", "RouteOutcome", "FailOrder", FAILED_ORDER),
    Case(
        "confirmed-with-charge-and-notice",
        "OrderConfirmed",
        variables={**GIVEN, "charge_id": "ch-1", "notification_result": {"status": "DELIVERED"}},
        output={"order_id": "o-1", "status": "CONFIRMED", "charge_id": "ch-1", "notification": "DELIVERED"},
    ),
    Case(
        "compensation-failed-keeps-the-cause",
        "CompensationFailed",
        variables=FAILED_ORDER,
        next="FailOrder",
        assigned={"outcome": {**FAILED_ORDER["outcome"], "reason": "CompensationFailed"}},
    ),
    Case(
        "fails-with-the-outcome",
        "FailOrder",
        variables=FAILED_ORDER,
        status="FAILED",
        error="PaymentDeclined",
        cause="card declined",
    ),
]

ORDER_CASES = VALIDATION + PREPARATION + APPROVAL + PAYMENT + COMPENSATION + ENDING
