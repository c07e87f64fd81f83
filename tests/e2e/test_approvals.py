"""The operator's reader of the approval queue (harness/observe/approvals.py), on the
deployed queue: requests drained by one reader are there for the others that share its
directory, as the order tests' pytest-xdist workers do."""

from __future__ import annotations

import json
import uuid

import pytest

from harness.observe.approvals import Approvals

pytestmark = pytest.mark.e2e


def send_request(stack, order_id: str, token: str) -> None:
    """A request as the order workflow sends it: its order and its task token."""
    body = {"order_id": order_id, "task_token": token}
    Approvals(stack).sqs.send_message(QueueUrl=stack.approval_queue_url, MessageBody=json.dumps(body))


def test_a_request_drained_by_one_reader_is_there_for_another_sharing_its_directory(stack, backend, tmp_path):
    if backend == "aws":
        pytest.skip("the queue of a stack on AWS is not for hand-written requests")
    # GIVEN two readers sharing a directory, and requests for two orders on the queue
    first, second = (Approvals(stack, shared=tmp_path) for _ in range(2))
    mine, theirs = f"o-{uuid.uuid4().hex[:12]}", f"o-{uuid.uuid4().hex[:12]}"
    send_request(stack, mine, "token-1")
    send_request(stack, theirs, "token-2")
    send_request(stack, mine, "token-3")

    # WHEN the first reader waits for its order's request (draining the queue)
    assert first.wait_for_request(mine).task_token == "token-3"

    # THEN the second finds the other order's request, and each order's requests come in the order sent
    assert [request.task_token for request in second.requests(theirs)] == ["token-2"]
    assert [request.task_token for request in second.requests(mine)] == ["token-1", "token-3"]
    # AND a reader that shares nothing finds neither: the queue is empty
    assert Approvals(stack).requests(theirs) == []
