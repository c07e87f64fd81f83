#!/usr/bin/env bash
# `make localstack-test`: the whole suite on a LocalStack-compatible engine via
# `terraform apply` of the root module: a LocalStack answering at LOCALSTACK_HOST;
# else one started in Docker (needs a Docker engine and LOCALSTACK_AUTH_TOKEN);
# else the pinned MiniStack, which needs neither (harness/localstack_test.py).
#
# Settings (environment):
#   LOCALSTACK_HOST            where a running LocalStack answers (default localhost:4566)
#   LOCALSTACK_AUTH_TOKEN      lets a LocalStack container be started (with Docker)
#   LOCALSTACK_IMAGE           the image to start (default localstack/localstack:latest)
#   LOCALSTACK_PORT            host port of a started container (default 4566)
#   LOCALSTACK_READY_TIMEOUT   seconds to wait for it (default 180)
#   PYTHON                     interpreter with the requirements (default .venv/bin/python)
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v terraform >/dev/null || { echo "localstack-test: no terraform on PATH" >&2; exit 2; }
exec "${PYTHON:-.venv/bin/python}" -m harness.localstack_test "$@"
