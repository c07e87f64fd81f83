#!/usr/bin/env bash
# `make localstack-test` / `make ministack-test`: the whole suite on a LocalStack-compatible engine via
# `terraform apply` of the root module (harness/localstack_test.py).
#   (default)          real LocalStack: the one answering at LOCALSTACK_HOST; else one started in Docker
#                      (a Docker engine and LOCALSTACK_AUTH_TOKEN); else the pinned one started on the host
#                      (`make localstack`, harness/engines/localstack_host.py)
#   --engine ministack the pinned MiniStack, started for the session
#
# Settings (environment):
#   LOCALSTACK_HOST            where a running LocalStack answers (default localhost:4566)
#   LOCALSTACK_AUTH_TOKEN      lets a LocalStack container be started (with Docker)
#   LOCALSTACK_IMAGE           the image to start (default localstack/localstack:latest)
#   LOCALSTACK_PORT            port of a LocalStack started here (default: 4566 in Docker, a free one on the host)
#   LOCALSTACK_READY_TIMEOUT   seconds to wait for a container (default 180)
#   PYTHON                     interpreter with the requirements (default .venv/bin/python)
# Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v terraform >/dev/null || { echo "localstack-test: no terraform on PATH" >&2; exit 2; }
exec "${PYTHON:-.venv/bin/python}" -m harness.localstack_test "$@"
