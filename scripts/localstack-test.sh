#!/usr/bin/env bash
# `make localstack-test`: start LocalStack in Docker, run the whole suite on it
# with `--backend localstack` (the session fixture runs `terraform apply` of the
# root module with LocalStack's endpoints and `terraform destroy` at the end),
# then remove the container whatever happened.
#
# Settings (environment):
#   LOCALSTACK_AUTH_TOKEN      when set, the licensed `latest` image (SES v2 and the
#                              other services the stack uses); without it the pinned
#                              tokenless image, which lacks SES v2 (see docs/terraform.md)
#   LOCALSTACK_IMAGE           override the image
#   LOCALSTACK_PORT            host port (default 4566)
#   LOCALSTACK_READY_TIMEOUT   seconds to wait for readiness (default 180)
#   STACK_BACKEND_REQUIRED     1: a missing prerequisite fails the run instead of
#                              skipping (default 1 with a token, 0 without)
#   PYTHON                     interpreter with the requirements (default .venv/bin/python)
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED_IMAGE="localstack/localstack:4.14.0"   # last tokenless 4.x release before `latest` needed a token
PYTHON="${PYTHON:-.venv/bin/python}"
PORT="${LOCALSTACK_PORT:-4566}"
READY_TIMEOUT="${LOCALSTACK_READY_TIMEOUT:-180}"
NAME="sfn-refactor-localstack-$$"
if [[ -n "${LOCALSTACK_AUTH_TOKEN:-}" ]]; then
  IMAGE="${LOCALSTACK_IMAGE:-localstack/localstack:latest}"
  export STACK_BACKEND_REQUIRED="${STACK_BACKEND_REQUIRED:-1}"
else
  IMAGE="${LOCALSTACK_IMAGE:-$PINNED_IMAGE}"
  export STACK_BACKEND_REQUIRED="${STACK_BACKEND_REQUIRED:-0}"
  echo "localstack-test: no LOCALSTACK_AUTH_TOKEN: using $IMAGE; the stack's SES v2 needs the licensed image, so the Terraform tier may skip" >&2
fi

command -v docker >/dev/null || { echo "localstack-test: no docker client on PATH" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "localstack-test: no Docker engine answers (docker info failed)" >&2; exit 2; }
command -v terraform >/dev/null || { echo "localstack-test: no terraform on PATH" >&2; exit 2; }

started=""
cleanup() {
  status=$?
  if [[ -n "$started" ]]; then
    [[ $status -ne 0 ]] && docker logs --tail 40 "$NAME" >&2 || true
    docker rm -f "$NAME" >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The Docker socket lets LocalStack run Lambda functions (the order workflow's).
docker run -d --name "$NAME" -p "127.0.0.1:${PORT}:4566" \
  -e LOCALSTACK_AUTH_TOKEN -e DEBUG=0 \
  -v /var/run/docker.sock:/var/run/docker.sock \
  "$IMAGE" >/dev/null
started=1

export LOCALSTACK_HOST="127.0.0.1:${PORT}"
echo "localstack-test: waiting up to ${READY_TIMEOUT}s for $IMAGE on $LOCALSTACK_HOST" >&2
"$PYTHON" -c "import sys; from harness.localstack import wait_until_ready; \
r = wait_until_ready(timeout=float(sys.argv[1])); print('LocalStack', r.get('edition'), r.get('version'), 'ready', file=sys.stderr)" \
  "$READY_TIMEOUT"

"$PYTHON" -m pytest --backend localstack "$@"
