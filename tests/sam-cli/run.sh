#!/usr/bin/env bash
# Runs SAM CLI (build, package, validate, validate --lint) and the macro's `expand` on each
# candidate template in this folder, and writes what each printed to results.txt.
# No AWS account or Docker is needed: the functions are InlineCode.
#
#   SAM=/path/to/sam MACRO=/path/to/buildkite-ecs-macro tests/sam-cli/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SAM=${SAM:-$root/.venv/sam/bin/sam}
MACRO=${MACRO:-$root/target/debug/buildkite-ecs-macro}
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export __SAM_CLI_APP_DIR=${__SAM_CLI_APP_DIR:-$(mktemp -d)}
cd "$here"

# What a command printed, both streams, without SAM's Python tracebacks and with this
# folder's path written as `.`.
run() {
  local out rc
  out=$("$@" 2>&1); rc=$?
  printf '$ %s\n' "$*" | sed "s|$(dirname "$SAM")/python|python|; s|$SAM|sam|; s|$MACRO|buildkite-ecs-macro|; s|$here|.|g"
  printf '%s\n' "$out" | awk '
    /^Traceback:$/ {skip = 1; next}
    skip && /^  / {next}
    {skip = 0; print}' | sed "s|$here|.|g" | grep -v '^$'
  printf '[exit %s]\n\n' "$rc"
}

{
  "$SAM" --version
  for c in */; do
    c=${c%/}
    [ -f "$c/template.yaml" ] || continue
    echo "=================== $c"
    rm -rf "$c/.aws-sam"
    run "$SAM" build -t "$c/template.yaml" -b "$c/.aws-sam/build"
    built="$c/.aws-sam/build/template.yaml"
    [ -f "$built" ] || built="$c/template.yaml"
    run "$SAM" package -t "$built" --output-template-file "$c/.aws-sam/packaged.yaml"
    run "$SAM" validate -t "$c/template.yaml"
    # cfn-lint as SAM runs it, with no configuration (from the candidate's folder) ...
    (cd "$c" && run "$SAM" validate --lint -t template.yaml)
    # ... and with this folder's .cfnlintrc (the repository's rules), source and built.
    run "$SAM" validate --lint -t "$c/template.yaml"
    [ "$built" = "$c/template.yaml" ] || run "$SAM" validate --lint -t "$built"
    for t in "$c/.aws-sam/build/template.yaml" "$c/.aws-sam/packaged.yaml"; do
      [ -f "$t" ] || continue
      if grep -qE '(^|[[:space:]])[&*][A-Za-z]|<<:' "$t"; then
        echo "$t: has YAML anchors, aliases or merge keys"
      else
        echo "$t: no YAML anchors, aliases or merge keys"
      fi
    done
    echo
    mkdir -p "$c/.aws-sam"
    # expand's standard output (the template) goes to a file; its standard error is shown.
    "$MACRO" expand "$c/template.yaml" > "$c/.aws-sam/expanded.yaml" 2> "$c/.aws-sam/expand.err"
    rc=$?
    echo "\$ buildkite-ecs-macro expand $c/template.yaml > $c/.aws-sam/expanded.yaml"
    sed "s|$here|.|g" "$c/.aws-sam/expand.err"
    printf '[exit %s]\n' "$rc"
    if [ -s "$c/.aws-sam/expanded.yaml" ]; then
      echo "what the expansion made of the shared properties:"
      grep -E '^  [A-Za-z]+TaskDefinition:|^      (Cpu|Memory):|Image: keithduncan|BUILDKITE_AGENT_TAGS' \
        -A1 "$c/.aws-sam/expanded.yaml" | grep -vE '^--$|Essential|^ +- Name: BUILDKITE_AGENT_TAGS$'
      echo
      # What SAM, listed after the macro, does with the expansion.
      run "$SAM" validate -t "$c/.aws-sam/expanded.yaml"
    fi
  done
  echo "=================== e-connector, the connector rewritten to the task role"
  run "$SAM" validate -t e-connector/rewritten-after-macro.yaml
  # The policy SAM then writes (samtranslator, from SAM CLI's own Python).
  run "$(dirname "$SAM")/python" -c '
import json, sys
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform
class NoManagedPolicies:
    def load(self): return {}
out = transform(yaml_parse(open(sys.argv[1]).read()), {}, NoManagedPolicies())
print(json.dumps(out["Resources"]["GoWritesJobsPolicy"], indent=1))
' e-connector/rewritten-after-macro.yaml
} > "$here/results.txt"
