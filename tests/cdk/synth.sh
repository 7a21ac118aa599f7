#!/usr/bin/env bash
# Regenerates agents.template.json from app.js: installs the locked aws-cdk-lib and constructs
# (package-lock.json) into node_modules, synthesizes with plain node (no CDK CLI) into cdk.out,
# and copies the stack's template out. CI never runs this: the tests read the committed template.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
rm -rf cdk.out
node app.js
cp cdk.out/BuildkiteAgents.template.json agents.template.json
echo "wrote $(pwd)/agents.template.json (aws-cdk-lib $(node -p "require('aws-cdk-lib/package.json').version"))"
