from __future__ import annotations

import pytest

from harness.expressions import Scope, evaluate

SCOPE = Scope({"prefix": "app", "days": 3, "region": "eu-west-1"}, {"table": {"arn": "arn:t"}},
              {"names": {"table": "app-table"}})


@pytest.mark.parametrize("expression,expected", [
    ('"plain"', "plain"),
    ('"${var.prefix}-x"', "app-x"),
    ("${var.days * 86400}", 259200),
    ("${module.table.arn}", "arn:t"),
    ("${local.names.table}", "app-table"),
    (['"*"', "${module.table.arn}"], ["*", "arn:t"]),
    ({"values": ['"sns.${var.region}.amazonaws.com"']}, {"values": ["sns.eu-west-1.amazonaws.com"]}),
])
def test_evaluates_the_supported_subset(expression, expected):
    assert evaluate(expression, SCOPE) == expected


@pytest.mark.parametrize("expression", ["${upper(var.prefix)}", "${var.days > 1 ? 1 : 2}", "${module.queue.url}"])
def test_refuses_what_it_does_not_understand(expression):
    with pytest.raises((ValueError, KeyError, SyntaxError)):
        evaluate(expression, SCOPE)
