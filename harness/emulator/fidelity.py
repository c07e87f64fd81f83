"""Small corrections that make moto answer as AWS does where the stack depends on it.

Each patch is idempotent, named, and covered by tests/emulator/test_fidelity.py,
which fails if a moto upgrade changes the code a patch relies on.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
import logging
import re
import threading
import uuid

import botocore
import botocore.session
from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import AWSError, ServiceException
from moto.core.responses import EmptyResult
from moto.dynamodb.models import DynamoDBBackend
from moto.iam.exceptions import NoSuchEntity as IamNoSuchEntity
from moto.iam.models import User as IamUser
from moto.ses.exceptions import InvalidParameterValue
from moto.sesv2.responses import SESV2Response
from moto.sns import responses as sns_responses
from moto.sns import utils as sns_utils
from moto.sns.exceptions import SNSInvalidParameter
from moto.stepfunctions import exceptions as sfn_errors
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.models import StepFunctionBackend
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as aws_sdk_task,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
    StateTaskServiceDynamoDB,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns import (
    StateTaskServiceSns,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.utilities.docker_utilities import DockerModel

from harness.emulator import jsonata_evaluation

# AWS names aws-sdk integration errors <Service>.<Error>Exception with the service
# in PascalCase (SesV2.MessageRejectedException); moto falls back to the lower-case
# client name (sesv2.MessageRejectedException), which a correct definition never matches.
AWS_SDK_ERROR_PREFIXES = {
    "ses": "Ses",
    "sesv2": "SesV2",
    "cloudwatch": "CloudWatch",
    "sqs": "Sqs",
    "sns": "Sns",
    "lambda": "Lambda",
    "kms": "Kms",
}


def name_aws_sdk_errors_like_aws() -> None:
    aws_sdk_task._SERVICE_ERROR_NAMES.update(AWS_SDK_ERROR_PREFIXES)


def reject_publish_with_several_targets() -> None:
    """AWS: Publish takes exactly one of TopicArn, TargetArn, PhoneNumber. moto takes several."""
    publish = sns_responses.SNSResponse.publish
    if getattr(publish, "checks_single_target", False):
        return

    def publish_to_one_target(self):
        targets = [p for p in ("TopicArn", "TargetArn", "PhoneNumber") if self._get_param(p)]
        if len(targets) > 1:
            raise SNSInvalidParameter(
                "Invalid parameter: only one of TopicArn, TargetArn or PhoneNumber may be given, "
                f"got {', '.join(targets)}"
            )
        return publish(self)

    publish_to_one_target.checks_single_target = True
    sns_responses.SNSResponse.publish = publish_to_one_target


def _aws_timestamp(moment: datetime.datetime | str) -> str:
    """A time as AWS renders the context object's: YYYY-MM-DDThh:mm:ss.sssZ."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    stamp = moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def start_time_as_iso_string() -> None:
    """AWS: $$.Execution.StartTime is an ISO 8601 string ("2026-11-22T14:10:30.123Z").
    moto hands the interpreter a datetime, which string intrinsics cannot take."""
    build = ExecutionWorker._get_evaluation_environment
    if getattr(build, "formats_start_time", False):
        return

    def build_with_iso_start_time(self):
        env = build(self)
        execution = env.states.context_object.context_object_data["Execution"]
        execution["StartTime"] = _aws_timestamp(execution["StartTime"])
        return env

    build_with_iso_start_time.formats_start_time = True
    ExecutionWorker._get_evaluation_environment = build_with_iso_start_time


def state_entered_time_as_aws_renders_it() -> None:
    """AWS renders $$.State.EnteredTime as it renders $$.Execution.StartTime
    ("2026-11-22T14:10:30.123Z"). moto used Python's isoformat
    ("2026-11-22T14:10:30.123456+00:00"), so a record stamped from both
    (created_at, updated_at) held two formats, which do not even sort together."""
    make = state_module.StateData
    if getattr(make, "formats_entered_time", False):
        return

    def state_data(**fields):
        if "EnteredTime" in fields:
            fields["EnteredTime"] = _aws_timestamp(fields["EnteredTime"])
        return make(**fields)

    state_data.formats_entered_time = True
    state_module.StateData = state_data


def nested_executions_speak_the_integrations_case() -> None:
    """AWS: the states:startExecution integration takes StateMachineArn, Name, Input
    and answers (and .sync:2 reports) ExecutionArn, Output, Status, StartDate (epoch
    milliseconds)... in PascalCase. moto's interpreter leaves the request in that
    case, which its boto3 client refuses (startExecution fails with States.Runtime),
    and the answer in boto3's camelCase with datetimes. Both are translated with the
    Step Functions service model, as LocalStack's interpreter (moto's is a port of
    it) does. Tested in tests/emulator/test_order_fidelity.py."""
    sfn_task = StateTaskServiceSfn
    if getattr(sfn_task._normalise_parameters, "speaks_integration_case", False):
        return
    normalise_parameters = sfn_task._normalise_parameters
    model = botocore.session.get_session().get_service_model("stepfunctions")
    operations = {botocore.xform_name(name): model.operation_model(name) for name in model.operation_names}

    def operation(self, service_action_name):
        return operations[self._get_boto_service_action(service_action_name)]

    def to_boto_case(self, parameters, boto_service_name=None, service_action_name=None):
        normalise_parameters(self, parameters, boto_service_name, service_action_name)
        self._to_boto_request(parameters, operation(self, service_action_name).input_shape)

    def to_integration_case(self, response, boto_service_name=None, service_action_name=None):
        shape = operation(self, service_action_name).output_shape
        if shape is not None:
            self._from_boto_response(response, shape)
        if isinstance(response, dict):  # dates are epoch milliseconds, as in AWS's answer
            for key, value in response.items():
                if isinstance(value, datetime.datetime):
                    response[key] = int(value.timestamp() * 1000)

    to_boto_case.speaks_integration_case = True
    sfn_task._normalise_parameters = to_boto_case
    sfn_task._normalise_response = to_integration_case


def send_task_failure_keeps_the_cause() -> None:
    """AWS: SendTaskFailure's cause reaches the waiting Task (a Catch sees it in
    $.Cause). moto's response handler drops it before its backend, which takes it.
    Tested in tests/emulator/test_order_fidelity.py."""
    handler = sfn_responses.StepFunctionResponse.send_task_failure
    if getattr(handler, "keeps_cause", False):
        return

    def send_task_failure(self):
        backend = self.stepfunction_backend
        if "cause" not in inspect.signature(backend.send_task_failure).parameters:
            return handler(self)
        backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    send_task_failure.keeps_cause = True
    sfn_responses.StepFunctionResponse.send_task_failure = send_task_failure


class _TaskTimedOut(AWSError):
    TYPE = "TaskTimedOut"


def answers_to_a_closed_task_are_task_timed_out() -> None:
    """AWS: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat with the token of a
    Task that has ended (it timed out, or was answered) fail with TaskTimedOut, "the
    task token has either expired or the task associated with the token has already
    been closed"; a token never issued fails with InvalidToken. moto never closes a
    token: a late answer was taken (and ignored) while the execution ran on, and was
    InvalidToken once it had ended (its own TaskTimedOut, never reached, is built
    without its message: a 500). Now a callback Task closes its token when the state
    ends, however it ends, and an answer is checked against every execution's tokens
    first. Tested in tests/emulator/test_order_fidelity.py."""
    eval_body = StateTaskServiceCallback._eval_body
    if getattr(eval_body, "closes_its_token", False):
        return

    def eval_body_closing_its_token(self, env):
        context = env.states.context_object  # this state's own: frames and branches have theirs
        issue, issued = context.update_task_token, []

        def update_task_token():
            issued.append(issue())
            return issued[-1]

        context.update_task_token = update_task_token
        try:
            eval_body(self, env)
        finally:
            del context.update_task_token
            for token in issued:
                endpoint = env.callback_pool_manager.get(token)
                if endpoint is not None and endpoint.consumer_error is None:
                    endpoint.report(CallbackConsumerTimeout())

    def endpoint_of(backend, token):
        for execution in backend._get_executions():
            env = execution.exec_worker.env if execution.exec_worker is not None else None
            endpoint = env.callback_pool_manager.get(token) if env is not None else None  # None: not started yet
            if endpoint is not None:
                return endpoint
        return None

    def answer_checking_the_token(answer):
        @functools.wraps(answer)
        def answering(self, task_token, *args, **kwargs):
            endpoint = endpoint_of(self, task_token)
            if endpoint is None:
                raise sfn_errors.InvalidToken()
            if endpoint.consumer_error is not None:  # moto's own TaskTimedOut() lacks its message: a 500
                raise _TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
            return answer(self, task_token, *args, **kwargs)

        return answering

    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        setattr(StepFunctionsParserBackend, name, answer_checking_the_token(getattr(StepFunctionsParserBackend, name)))
    eval_body_closing_its_token.closes_its_token = True
    StateTaskServiceCallback._eval_body = eval_body_closing_its_token


# StartExecution limits (API reference, StartExecution): `input` is at most
# 262,144 bytes of UTF-8, `name` 1-80 characters without white space, brackets,
# wildcards, special characters or control characters.
MAX_EXECUTION_INPUT_BYTES = 262_144


def _refuse_json_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def start_execution_checks_its_input_and_name() -> None:
    """AWS refuses an oversized input (ValidationException, the API's length
    constraint), an input that is not JSON (InvalidExecutionInput; NaN and
    Infinity are not JSON either) and an invalid name (InvalidName; over 80
    characters: ValidationException) before anything runs. With executions
    turned on, moto's interpreter backend checks none of it (a JSON error comes
    back with no error code) and starts the execution.

    AWS also names an execution started without a name (a UUID); moto leaves the
    name None, so $$.Execution.Name is null and every such execution gets the
    same ARN, ending in ":None"."""
    start = StepFunctionsParserBackend.start_execution
    if getattr(start, "checks_input_and_name", False):
        return

    def start_checked(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        if name is None:
            name = str(uuid.uuid4())
        else:
            if any(character.isspace() for character in name):
                raise sfn_errors.InvalidName(f"Invalid Name: '{name}'")
            StepFunctionBackend._validate_name(self, name)
        if execution_input is not None:
            if len(execution_input.encode("utf-8", "surrogatepass")) > MAX_EXECUTION_INPUT_BYTES:
                raise sfn_errors.ValidationException(
                    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_EXECUTION_INPUT_BYTES}"
                )
            try:
                json.loads(execution_input, parse_constant=_refuse_json_constant)
            except ValueError as error:
                raise sfn_errors.InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from None
        return start(self, state_machine_arn, name, execution_input, trace_header)

    start_checked.checks_input_and_name = True
    StepFunctionsParserBackend.start_execution = start_checked


def e164_digits_are_ascii() -> None:
    """AWS: an SMS goes to an E.164 number, '+' and ASCII digits. moto's check uses
    Python's \\d, which also matches other scripts' digits ('+1415555０１００')."""
    if sns_utils.E164_REGEX.flags & re.ASCII:
        return
    sns_utils.E164_REGEX = re.compile(sns_utils.E164_REGEX.pattern, re.ASCII)


class _SesV2BadRequest(ServiceException):
    code = "BadRequestException"


def _ses_address_problem(address: str) -> str | None:
    if any(ord(character) > 126 for character in address):
        return f"Email address must be 7-bit ASCII (SES does not support SMTPUTF8): {address!r}"
    if any(ord(character) < 33 for character in address):
        return f"Local address contains control or whitespace: {address!r}"
    return None


def sesv2_refuses_addresses_it_cannot_send_to() -> None:
    """AWS (SES API reference, Destination): SES does not support SMTPUTF8, so an
    address must be 7-bit ASCII; control characters and white space are refused
    too. SESv2 answers a bad parameter with BadRequestException. moto's SESv2
    sends to any address with an '@' and a domain, and answers v1's
    InvalidParameterValue (a name SESv2 does not have) for the rest."""
    send = SESV2Response.send_email
    if getattr(send, "checks_addresses", False):
        return

    def send_email(self):
        params = json.loads(self.body or "{}")
        destination = params.get("Destination") or {}
        addresses = [params.get("FromEmailAddress") or ""] + [
            address for key in ("ToAddresses", "CcAddresses", "BccAddresses") for address in destination.get(key, [])
        ]
        for address in addresses:
            problem = _ses_address_problem(address)
            if problem:
                raise _SesV2BadRequest(problem)
        try:
            return send(self)
        except InvalidParameterValue as error:
            raise _SesV2BadRequest(error.message) from error

    send_email.checks_addresses = True
    SESV2Response.send_email = send_email


_DYNAMODB_WRITES = threading.RLock()


def conditional_writes_are_atomic() -> None:
    """AWS: a conditional write checks its condition and writes as one step, so of
    two concurrent `attribute_not_exists` puts of one key exactly one succeeds.
    moto reads the item, evaluates the condition and writes with nothing held, so
    concurrent requests (the emulator serves each on its own thread) can both pass
    the check. Every DynamoDB write is serialized here."""
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        write = getattr(DynamoDBBackend, name)
        if getattr(write, "serialized", False):
            continue

        def serialized(self, *args, __write=write, **kwargs):
            with _DYNAMODB_WRITES:
                return __write(self, *args, **kwargs)

        serialized.serialized = True
        setattr(DynamoDBBackend, name, serialized)


def name_sns_errors_by_their_exception() -> None:
    """AWS names an sns:publish error after the SDK's exception, SNS.<Exception>:
    the error code ParameterValueInvalid is SNS.InvalidParameterValueException.
    moto's interpreter appends "Exception" to the wire code instead, which gives
    SNS.ParameterValueInvalidException for the one SNS error whose code and
    exception name differ, so a definition naming it as permanent retries it."""
    from_error = StateTaskServiceSns._from_error
    if getattr(from_error, "names_by_exception", False):
        return
    model = botocore.session.get_session().get_service_model("sns")
    renamed = {}
    for shape in model.error_shapes:
        code = shape.metadata.get("error", {}).get("code", shape.name)
        moto_name = code if code.endswith("Exception") else f"{code}Exception"
        if moto_name != shape.name:
            renamed[f"SNS.{moto_name}"] = f"SNS.{shape.name}"

    def from_error_named_by_exception(self, env, ex):
        failure = from_error(self, env, ex)
        details = (failure.event_details or {}).get("taskFailedEventDetails") or {}
        name = renamed.get(details.get("error"))
        if name:
            details["error"] = name
            failure.error_name = CustomErrorName(error_name=name)
        return failure

    from_error_named_by_exception.names_by_exception = True
    StateTaskServiceSns._from_error = from_error_named_by_exception


# Lambda's default for asynchronous invocations (PutFunctionEventInvokeConfig's
# MaximumRetryAttempts, 0-2): a failed event is retried twice, then dropped.
ASYNC_DEFAULT_RETRY_ATTEMPTS = 2


def async_invocations_retry_function_errors() -> None:
    """AWS (Lambda Developer Guide, "Asynchronous invocation"): an invocation with
    InvocationType='Event' is queued and answered at once with 202 and an empty
    body; if the function then fails, Lambda runs the same event again, up to the
    function's MaximumRetryAttempts (2 unless its event invoke config says
    otherwise), about 1 and then 2 more minutes later, and then discards the event
    (or sends it to an on-failure destination or dead-letter queue). moto runs an
    Event invocation once, synchronously, never retries it, and answers with the
    function's result and its FunctionError.

    Here the retries happen at once, without the minute-long waits, and still
    inside the caller's Invoke request: the Event invocation (retries included)
    has finished when Invoke answers, so a harness that waits for the caller has
    waited for its asynchronous work too. The answer is AWS's: 202, no payload,
    no FunctionError. Destinations and dead-letter queues are not emulated."""
    invoke = LambdaFunction.invoke
    if getattr(invoke, "retries_async_errors", False):
        return

    @functools.wraps(invoke)  # inspect.getsource(LambdaFunction.invoke) still shows moto's
    def invoke_retrying_events(self, body, request_headers, response_headers):
        if request_headers.get("x-amz-invocation-type", "RequestResponse") != "Event":
            return invoke(self, body, request_headers, response_headers)
        configured = self.event_invoke_config[0].config if self.event_invoke_config else {}
        retries = int(configured.get("MaximumRetryAttempts", ASYNC_DEFAULT_RETRY_ATTEMPTS))
        for _ in range(1 + retries):
            response_headers.pop("x-amz-function-error", None)
            invoke(self, body, request_headers, response_headers)
            if "x-amz-function-error" not in response_headers:
                break
        response_headers.pop("x-amz-function-error", None)
        return ""

    invoke_retrying_events.retries_async_errors = True
    LambdaFunction.invoke = invoke_retrying_events


def dynamodb_tasks_time_out_as_states_timeout() -> None:
    """AWS: a Task that outlives its TimeoutSeconds fails with States.Timeout, which
    Retry and Catch can name. moto's DynamoDB integration reports its own timeouts
    as DynamoDB.AmazonDynamoDBException with an empty cause (its error handler
    skips the Task's timeout check), so a retrier on States.Timeout never fires."""
    from_error = StateTaskServiceDynamoDB._from_error
    if getattr(from_error, "reports_timeouts", False):
        return

    def from_error_with_timeouts(self, env, ex):
        if isinstance(ex, TimeoutError):
            return self._get_timed_out_failure_event(env)
        return from_error(self, env, ex)

    from_error_with_timeouts.reports_timeouts = True
    StateTaskServiceDynamoDB._from_error = from_error_with_timeouts


def model_dump_leaves_out_docker_clients() -> None:
    """moto's own inspection endpoint, GET /moto-api/data.json, reads every public
    attribute of every model. A Lambda function's `docker_client` connects to Docker
    when read, and fails without a daemon (the Lambda seam runs functions without
    one): the whole dump answered 500 once the order functions existed. The client
    is left out of dir(), so the dump skips it as it skips what it cannot serialise.
    Tested in tests/emulator/test_fidelity.py."""
    if getattr(DockerModel.__dir__, "hides_docker_client", False):
        return

    def attributes(self):
        return [name for name in object.__dir__(self) if name != "docker_client"]

    attributes.hides_docker_client = True
    DockerModel.__dir__ = attributes


def model_dump_survives_detached_iam_users() -> None:
    """The same dump reads `group_list` of every IAM User instance moto ever made,
    including the detached `default_user` it builds when a request is signed with
    keys no user owns (the Terraform provider's): its lookup raises NoSuchEntity
    and the dump answers 500. A user the backend does not hold is in no group."""
    group_list = IamUser.group_list
    if getattr(group_list.fget, "tolerates_detached_users", False):
        return

    def groups_of_held_users(self):
        try:
            return group_list.fget(self)
        except IamNoSuchEntity:
            return []

    groups_of_held_users.tolerates_detached_users = True
    IamUser.group_list = property(groups_of_held_users)


def execution_pages_survive_executions_that_end() -> None:
    """ListExecutions with a statusFilter, page after page: moto's next token names the
    first execution of the next page, and when that execution leaves the filter before
    the next call (a RUNNING one ends), moto answers InvalidToken. AWS's token stays
    valid, as a user listing what runs sees. The page now resumes where that execution
    stands among all of the state machine's executions, newest first, as moto orders
    them; a token for other parameters, or none moto made, is refused as before."""
    from moto.core.exceptions import InvalidToken
    from moto.stepfunctions.utils import PAGINATION_MODEL
    from moto.utilities.paginator import Paginator

    paged = StepFunctionBackend.list_executions
    unpaged = paged.__wrapped__  # the state machine's executions, newest first, unpaginated
    model = PAGINATION_MODEL["list_executions"]

    @functools.wraps(paged)
    def list_executions(self, state_machine_arn, status_filter=None, max_results=None, next_token=None):
        try:
            return paged(
                self, state_machine_arn, status_filter=status_filter, max_results=max_results, next_token=next_token
            )
        except InvalidToken:
            if next_token is None or status_filter is None:
                raise
            paginator = Paginator(  # checks the token was made for these parameters, as moto does
                max_results=max_results,
                max_results_default=model["limit_default"],
                starting_token=next_token,
                unique_attribute=model["unique_attribute"],
                param_values_to_check={"status_filter": status_filter},
            )
            everything = unpaged(self, state_machine_arn)
            start = next((i for i, e in enumerate(everything) if paginator._check_predicate(e)), None)
            if start is None:
                raise
            rest = [e for e in everything[start:] if e.status == status_filter]
            page_size = max_results or model["limit_default"]
            following = paginator._build_next_token(rest[page_size]) if len(rest) > page_size else None
            return rest[:page_size], following

    StepFunctionBackend.list_executions = list_executions


def quiet_interpreter_logs() -> None:
    """The interpreter logs every failed state with a repr of the whole definition
    (kilobytes per failure). The execution history carries the same facts."""
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


def apply_all() -> None:
    name_aws_sdk_errors_like_aws()
    reject_publish_with_several_targets()
    start_time_as_iso_string()
    state_entered_time_as_aws_renders_it()
    quiet_interpreter_logs()
    nested_executions_speak_the_integrations_case()
    send_task_failure_keeps_the_cause()
    answers_to_a_closed_task_are_task_timed_out()
    start_execution_checks_its_input_and_name()
    e164_digits_are_ascii()
    sesv2_refuses_addresses_it_cannot_send_to()
    conditional_writes_are_atomic()
    name_sns_errors_by_their_exception()
    async_invocations_retry_function_errors()
    dynamodb_tasks_time_out_as_states_timeout()
    model_dump_survives_detached_iam_users()
    model_dump_leaves_out_docker_clients()
    execution_pages_survive_executions_that_end()
    jsonata_evaluation.apply_all()  # JSONata definitions run and are checked as on AWS
