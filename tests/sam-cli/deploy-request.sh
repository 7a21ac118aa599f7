#!/usr/bin/env bash
# What `sam deploy --no-execute-changeset` would ask CloudFormation for, with no AWS account:
# it runs against fake_cloudformation.py on 127.0.0.1 (fake credentials) and prints the
# CreateChangeSet request (parameters, then the template sent). Extra arguments go to sam deploy.
#
#   SAM=/path/to/sam tests/sam-cli/deploy-request.sh b-anchors [--capabilities ...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SAM=${SAM:-$root/.venv/sam/bin/sam}
candidate=$1; shift
port=${PORT:-8765}
log=$(mktemp)
python3 "$here/fake_cloudformation.py" "$log" "$port" &
server=$!
trap 'kill $server' EXIT
sleep 1
cd "$here"
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 __SAM_CLI_APP_DIR=$(mktemp -d) \
AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE AWS_SECRET_ACCESS_KEY=example AWS_SESSION_TOKEN= \
AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_MAX_ATTEMPTS=1 \
  "$SAM" deploy -t "$candidate/template.yaml" --stack-name t --no-execute-changeset \
  --no-confirm-changeset "$@" 2>&1 | grep -E '^Error|Capabilities'
echo "--- requests:"
cat "$log"
