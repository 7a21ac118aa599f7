#!/usr/bin/env python3
"""Prove, by evaluating them, the grants of values the macro cannot see.

    prove_grants.py --macro target/debug/buildkite-ecs-macro

For each case an exporter stack exports a value; a template reads it with `!ImportValue` (as
the agent token, or inside the `!Sub` of a `Secrets` entry); the macro's binary expands that
template (`expand --format json`), exactly as in the Lambda; moto's CloudFormation creates the
stack, resolving `Fn::ImportValue`, `Fn::Join`, `Fn::Split`, `Fn::Select` and `Fn::Sub`; and the
execution role's inline policy is read back with `iam.get_role_policy`. Each case asserts the
resolved policy: the SSM parameters and Secrets Manager secrets it reads are exactly the ones
named (the ARN moto itself gives the parameter or secret, where it holds one), and `kms:Decrypt`
and `kms:ViaService` are exactly the region and account of those, with no `*`.

Then examples/conditions.yaml is deployed on each branch of its conditions (the template
parameters set each way): the execution role reads the Secrets entry under `IsProduction` only
in production, and the task role exists only when `UseOwnRole` does not hold. moto evaluates
`Fn::If` and resource `Condition`s itself; only its lists keep an `AWS::NoValue` entry, which
`drop_no_value_list_entries` leaves out as CloudFormation does.

moto runs in this process with fake credentials; a guard refuses every network connection, so
nothing can reach AWS. Exit status: 0 when every case holds, 1 when one does not, 2 when moto or
the macro could not run.
"""

from __future__ import annotations

import argparse
import itertools
import ast
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REGION, ACCOUNT = "us-east-1", "123456789012"
OTHER_REGION, OTHER_ACCOUNT = "eu-west-1", "210987654321"
URL_SUFFIX = "amazonaws.com"


def refuse_network() -> None:
    """moto answers boto3 in-process; any real connection is a mistake: fail it loudly."""

    def refuse(*_args, **_kwargs):
        raise RuntimeError("prove_grants: a network connection was attempted (tests must not reach AWS)")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION=REGION,
    AWS_EC2_METADATA_DISABLED="true",
)
os.environ.pop("AWS_PROFILE", None)
refuse_network()

import boto3  # noqa: E402  (after the fake credentials and the guard)
import moto.cloudformation.parsing as moto_parsing  # noqa: E402
from moto import mock_aws  # noqa: E402


def drop_no_value_list_entries() -> None:
    """CloudFormation leaves out a list entry that is `AWS::NoValue` (an `Fn::If` branch); moto
    5.2.5's `clean_json` leaves `None` in its place (measured: an IAM role's `Tags` entry
    `Fn::If [C, {Key, Value}, AWS::NoValue]` with C false crashes moto's tag check on `None`).
    Its object keys it already drops. Make lists do as CloudFormation does, and nothing else."""
    clean_json = moto_parsing.clean_json

    def cleaned(resource_json, resources_map):
        value = clean_json(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(value, list):
            return [item for item in value if item is not None]
        return value

    moto_parsing.clean_json = cleaned


drop_no_value_list_entries()


class CannotRun(Exception):
    """moto or the macro could not run: exit 2, never a pass."""


@dataclass
class Expected:
    """What the execution role must read, beside nothing else."""

    parameters: list[str] = field(default_factory=list)
    # Secrets Manager: ARNs that must each match a granted pattern, and ARNs that must match none.
    secrets: list[str] = field(default_factory=list)
    not_secrets: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


@dataclass
class Case:
    name: str
    # Export name -> value, exported by a stack of their own before the template is created.
    exports: dict[str, str]
    # The Buildkite resource's properties, as YAML lines under `Properties:`.
    properties: str
    expected: Expected


def template_for(case: Case) -> str:
    body = "\n".join(f"      {line}" for line in case.properties.strip("\n").splitlines())
    return (
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Transform: Buildkite-Agents-2020-03-09\n"
        "Resources:\n"
        "  Agent:\n"
        "    Type: Buildkite::ECS::TaskDefinition\n"
        "    Properties:\n"
        "      Image: buildkite/agent:3\n"
        f"{body}\n"
    )


def expand(macro: Path, template: str) -> dict:
    command = [str(macro), "expand", "-", "--format", "json", "--region", REGION, "--account-id", ACCOUNT]
    result = subprocess.run(command, input=template, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise CannotRun(f"expand exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def policy_document(raw) -> dict:
    """moto returns the document a stack wrote as a dict, JSON, or the text of a Python dict."""
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return ast.literal_eval(raw)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def iam_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: `*` any run of characters, `?` any one."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, arn) is not None


def kms_key(region: str, account: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/*"


def parameter_arn(name: str) -> str:
    separator = "" if name.startswith("/") else "/"
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{separator}{name}"


def build_cases(ssm, secretsmanager) -> list[Case]:
    """The cases, with the parameters and secrets they name created in moto, so that the
    expected ARNs are moto's own."""

    def put(name: str) -> str:
        ssm.put_parameter(Name=name, Value="fake-token", Type="SecureString")
        arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
        if arn != parameter_arn(name):
            raise CannotRun(f"moto gives {name} the ARN {arn}, not {parameter_arn(name)}")
        return arn

    def secret(name: str) -> str:
        return secretsmanager.create_secret(Name=name, SecretString="fake")["ARN"]

    here_key, here_ssm = kms_key(REGION, ACCOUNT), f"ssm.{REGION}.{URL_SUFFIX}"
    here_secrets = f"secretsmanager.{REGION}.{URL_SUFFIX}"
    token_name = put("buildkite-agent-token")
    token_path = put("/buildkite-agent/token")
    token_elsewhere = f"arn:aws:ssm:{OTHER_REGION}:{OTHER_ACCOUNT}:parameter/ci/buildkite/agent-token"
    npm_path = put("/ci/npm/token")
    sentry_name = put("sentry-token")
    database = secret("ci/database")
    # Names that a pattern too wide would also match.
    decoys = [secret("ci/database-replica"), secret("ci/databases"), secret("ci/database-AbC")]
    full_name = database.rsplit(":", 1)[1]

    def token_case(form: str, value: str, key: str, service: str) -> Case:
        return Case(
            f"token as {form}",
            {"ci-token": value},
            "BuildkiteAgentTokenParameterPath: !ImportValue ci-token",
            Expected(parameters=[value if value.startswith("arn:") else parameter_arn(value)],
                     keys=[key], services=[service]),
        )

    def secret_case(form: str, exported: str) -> Case:
        return Case(
            f"Secrets Manager !Sub, {form}",
            {"ci-token": "/buildkite-agent/token", "ci-database": exported},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Secrets:
  - Name: DATABASE_URL
    ValueFrom: !Sub
      - arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}
      - Name: !ImportValue ci-database""",
            Expected(parameters=[token_path], secrets=[database], not_secrets=decoys,
                     keys=[here_key], services=[here_ssm, here_secrets]),
        )

    return [
        token_case("a name", "buildkite-agent-token", here_key, here_ssm),
        token_case("a /path", "/buildkite-agent/token", here_key, here_ssm),
        token_case(f"an ARN in {OTHER_REGION}, account {OTHER_ACCOUNT}", token_elsewhere,
                   kms_key(OTHER_REGION, OTHER_ACCOUNT), f"ssm.{OTHER_REGION}.{URL_SUFFIX}"),
        Case(
            "SSM !Sub, parameter${Path} and parameter/${Name}",
            {"ci-token": "buildkite-agent-token", "ci-npm-path": "/ci/npm/token", "ci-sentry-name": "sentry-token"},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Secrets:
  - Name: NPM_TOKEN
    ValueFrom: !Sub
      - arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Path}
      - Path: !ImportValue ci-npm-path
  - Name: SENTRY_TOKEN
    ValueFrom: !Sub
      - arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}
      - Name: !ImportValue ci-sentry-name""",
            Expected(parameters=[token_name, npm_path, sentry_name], keys=[here_key], services=[here_ssm]),
        ),
        secret_case("the full name", full_name),
        secret_case("the name alone", "ci/database"),
    ]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def expand_file(macro: Path, path: Path, parameters: dict[str, str]) -> dict:
    command = [str(macro), "expand", str(path), "--format", "json", "--region", REGION, "--account-id", ACCOUNT]
    for key, value in parameters.items():
        command += ["--parameter", f"{key}={value}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise CannotRun(f"expand exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def prove_conditions(macro: Path, cloudformation, iam, secretsmanager) -> list[Outcome]:
    """examples/conditions.yaml deployed on each of the four ways its two conditions go: the Secrets entry
    under `IsProduction` is granted only when production, the generated task role exists only
    when `UseOwnRole` does not hold, and the `!GetAtt Agent.TaskRoleArn` output follows it."""
    deploy_key = secretsmanager.create_secret(Name="ci/deploy-key", SecretString="fake")["ARN"]
    decoy = secretsmanager.create_secret(Name="ci/deploy-keys", SecretString="fake")["ARN"]
    npm_token = parameter_arn("/ci/npm-token")
    token = parameter_arn("/buildkite-agent/token")
    outcomes = []
    for number, (production, own_role) in enumerate(itertools.product(["true", "false"], repeat=2)):
        parameters = {"Production": production, "OwnRole": own_role}
        name = f"conditions, Production={production} OwnRole={own_role}"
        expanded = expand_file(macro, EXAMPLES / "conditions.yaml", parameters)
        stack = cloudformation.create_stack(
            StackName=f"conditions-{number}",
            TemplateBody=json.dumps(expanded),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        )
        status = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
        if status["StackStatus"] != "CREATE_COMPLETE":
            raise CannotRun(f"{name}: the stack is {status['StackStatus']}")
        resources = cloudformation.describe_stack_resources(StackName=stack["StackId"])["StackResources"]
        # moto lists a resource whose Condition does not hold as an entry with no IDs (measured).
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if "LogicalResourceId" in r}
        document = policy_document(
            iam.get_role_policy(RoleName=physical["AgentExecutionRole"], PolicyName="ReadAgentSecrets")["PolicyDocument"]
        )
        granted: dict[str, list] = {}
        for statement in as_list(document["Statement"]):
            for action in as_list(statement["Action"]):
                granted.setdefault(action, []).extend(str(r) for r in as_list(statement["Resource"]))
        failures = []
        parameters_read = granted.get("ssm:GetParameters", [])
        if sorted(set(parameters_read)) != sorted({token, npm_token}):
            failures.append(f"ssm:GetParameters on {parameters_read}, not exactly {[token, npm_token]}")
        patterns = granted.get("secretsmanager:GetSecretValue", [])
        reads_key = any(iam_matches(p, deploy_key) for p in patterns)
        if reads_key != (production == "true"):
            failures.append(f"the deploy key granted: {reads_key}, with Production={production} ({patterns})")
        if any(iam_matches(p, decoy) for p in patterns):
            failures.append(f"the secret {decoy}, not named, is granted by {patterns}")
        if any("AWS::NoValue" in str(v) or "Fn::If" in str(v) for v in parameters_read + patterns):
            failures.append(f"an unevaluated function in a granted resource: {parameters_read + patterns}")
        has_task_role = "AgentTaskRole" in physical
        if has_task_role != (own_role == "false"):
            failures.append(f"AgentTaskRole exists: {has_task_role}, with OwnRole={own_role}")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cloudformation.describe_stacks(
            StackName=stack["StackId"])["Stacks"][0].get("Outputs", [])}
        role_arn = outputs.get("TaskRoleArn", "")
        expected_role = f"arn:aws:iam::{ACCOUNT}:role/ci-agent" if own_role == "true" else "generated"
        if own_role == "true" and role_arn != expected_role:
            failures.append(f"the TaskRoleArn output is {role_arn!r}, not {expected_role}")
        if own_role == "false" and ":role/" not in role_arn:
            failures.append(f"the TaskRoleArn output is {role_arn!r}, not the generated role's ARN")
        if outputs.get("Family") != "buildkite-medium":
            failures.append(f"the Family output is {outputs.get('Family')!r}")
        outcomes.append(Outcome(name, {"ssm": parameters_read, "secretsmanager": patterns,
                                       "task role": [role_arn]}, failures))
        cloudformation.delete_stack(StackName=stack["StackId"])
    return outcomes


@dataclass
class Outcome:
    case: str
    granted: dict
    failures: list[str]


def check(case: Case, stack_id: str, cloudformation, iam, ecs) -> Outcome:
    resources = cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    document = policy_document(
        iam.get_role_policy(RoleName=physical["AgentExecutionRole"], PolicyName="ReadAgentSecrets")["PolicyDocument"]
    )
    by_action: dict[str, list] = {}
    decrypt = None
    for statement in as_list(document["Statement"]):
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(as_list(statement["Resource"]))
            if action == "kms:Decrypt":
                decrypt = statement
    failures = []
    parameters = by_action.pop("ssm:GetParameters", [])
    if sorted(set(parameters)) != sorted(set(case.expected.parameters)):
        failures.append(f"ssm:GetParameters on {parameters}, not exactly {case.expected.parameters}")
    patterns = by_action.pop("secretsmanager:GetSecretValue", [])
    for arn in case.expected.secrets:
        if not any(iam_matches(p, arn) for p in patterns):
            failures.append(f"the secret {arn} is not granted by {patterns}")
    for arn in case.expected.not_secrets:
        if any(iam_matches(p, arn) for p in patterns):
            failures.append(f"the secret {arn}, not named, is granted by {patterns}")
    if not case.expected.secrets and patterns:
        failures.append(f"secretsmanager:GetSecretValue on {patterns}, where no secret is named")
    keys = by_action.pop("kms:Decrypt", [])
    services = []
    if decrypt is not None:
        for operator, conditions in (decrypt.get("Condition") or {}).items():
            if operator != "StringEquals":
                failures.append(f"kms:Decrypt under {operator}, not StringEquals")
            services += as_list(conditions.get("kms:ViaService", []))
    if sorted(set(keys)) != sorted(set(case.expected.keys)):
        failures.append(f"kms:Decrypt on {keys}, not exactly {case.expected.keys}")
    if sorted(set(services)) != sorted(set(case.expected.services)):
        failures.append(f"kms:ViaService {services}, not exactly {case.expected.services}")
    if by_action:
        failures.append(f"other actions: {sorted(by_action)}")
    if any("*" in str(resource) and not str(resource).endswith(":key/*") for resource in parameters + keys):
        failures.append("a wildcard in a granted resource")
    # The container reads the token from the value as exported, unchanged.
    task_definition = ecs.describe_task_definition(taskDefinition=physical["AgentTaskDefinition"])["taskDefinition"]
    agent = next(c for c in task_definition["containerDefinitions"] if c["name"] == "agent")
    token = next(s for s in agent["secrets"] if s["name"] == "BUILDKITE_AGENT_TOKEN")["valueFrom"]
    if token != case.exports["ci-token"]:
        failures.append(f"the agent container reads the token from {token}, not {case.exports['ci-token']}")
    granted = {"ssm": parameters, "secretsmanager": patterns, "kms": keys, "via": services}
    return Outcome(case.name, granted, failures)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--macro", type=Path, required=True, help="the buildkite-ecs-macro binary")
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    outcomes = []
    try:
        with mock_aws():
            cloudformation = boto3.client("cloudformation", region_name=REGION)
            iam, ecs = boto3.client("iam"), boto3.client("ecs", region_name=REGION)
            cases = build_cases(boto3.client("ssm", region_name=REGION),
                                boto3.client("secretsmanager", region_name=REGION))
            for number, case in enumerate(cases):
                # Exports are unique per region: each case exports its values under its own
                # stack, removed once the case is done.
                exporter = {
                    "Resources": {"Placeholder": {"Type": "AWS::S3::Bucket"}},
                    "Outputs": {
                        f"Output{index}": {"Value": value, "Export": {"Name": name}}
                        for index, (name, value) in enumerate(case.exports.items())
                    },
                }
                cloudformation.create_stack(StackName=f"exporter-{number}", TemplateBody=json.dumps(exporter))
                expanded = expand(arguments.macro, template_for(case))
                stack = cloudformation.create_stack(StackName=f"agents-{number}", TemplateBody=json.dumps(expanded))
                status = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"]
                if status != "CREATE_COMPLETE":
                    raise CannotRun(f"{case.name}: the stack is {status}")
                outcomes.append(check(case, stack["StackId"], cloudformation, iam, ecs))
                cloudformation.delete_stack(StackName=stack["StackId"])
                cloudformation.delete_stack(StackName=f"exporter-{number}")
            outcomes += prove_conditions(arguments.macro, cloudformation, iam,
                                         boto3.client("secretsmanager", region_name=REGION))
    except CannotRun as error:
        print(f"prove_grants: could not run: {error}", file=sys.stderr)
        return 2
    failed = 0
    for outcome in outcomes:
        print(f"{'ok    ' if not outcome.failures else 'FAILED'} {outcome.case}")
        for service, granted in outcome.granted.items():
            if granted:
                print(f"         {service}: {', '.join(granted)}")
        for failure in outcome.failures:
            print(f"         {failure}")
        failed += bool(outcome.failures)
    print(f"prove_grants: {len(outcomes)} cases, {failed} failed, in {time.monotonic() - started:.1f} s (moto, offline)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
