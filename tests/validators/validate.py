#!/usr/bin/env python3
"""Hold expanded CloudFormation templates to AWS's own validators.

    validate.py [--sources DIR] [--report FILE] EXPANDED.json...

Runs on every file:

- cfn-lint with strict types and the partition rule
  (`--configure-rule E3012:strict=true --include-checks I3042`): every error, warning and
  I3042 is a finding.
- checkov (`--framework cloudformation --skip-download`): every failed check on a resource the
  macro generated is a finding. With `--sources DIR`, the source of `NAME.json` is
  `DIR/NAME.yaml`, and the resources already in the source (the user's own) are reported but
  not held. CKV_AWS_158 (a customer KMS key for a log group) is waived on a log group without
  `KmsKeyId`, because the key is the user's choice (`LogKmsKeyId`); a log group with a key must
  pass it. A check skipped in a generated resource's own Metadata is a finding (CHECKOV_SKIP).
- parliament on every IAM policy document of a generated role or policy, with `Fn::Sub`,
  `Ref`, `Fn::GetAtt` and the like filled with sample values (partition aws, region us-east-1,
  account 123456789012; `Fn::Join`, `Fn::Split` and `Fn::Select` evaluated; an import by the
  form its export's name says, `import_sample`). Trust policies get their role's ARN as `Resource`, the resource a
  trust policy guards, since parliament stops at a statement without one. Every finding down to
  INFO is a finding, with the community auditors on identity policies (on a trust policy they
  take sts:AssumeRole, the point of it, for credentials exposure), but CREDENTIALS_EXPOSURE for
  `ecr:GetAuthorizationToken` alone, ECR's registry login, which pulling an ECR image needs
  (waived and counted; any other action's exposure is a finding), and
  PERMISSIONS_MANAGEMENT_ACTIONS for `iam:PassRole` alone where every such statement names roles
  (no wildcard) under one `iam:PassedToService` (a run policy's; waived and counted), and for
  `s3:PutObjectAcl` alone under `s3:x-amz-acl: bucket-owner-full-control` (the artifacts
  bucket's; waived and counted), and
  UNKNOWN_CONDITION_FOR_ACTION for `kms:ResourceAliases` on `kms:Sign` and
  `kms:GetPublicKey` (a condition key of the KMS key resource, which parliament 1.6.4's
  definitions list for no action; waived and counted).
- The documents of the generated resources are read once for each way the conditions they
  branch on can go (`Fn::If` in their properties, their `Condition`s; a condition defined only
  by `Condition`, `Fn::Not`, `Fn::And` and `Fn::Or` follows the ones it names): each `Fn::If`
  resolved, `AWS::NoValue` dropped, a generated resource whose `Condition` does not hold left
  out; a finding on one way names it (`[IsProduction=false]`).
- Checks of our own on the same documents: `Version: "2012-10-17"` (POLICY_VERSION), no
  `"Resource": "*"` (WILDCARD_RESOURCE) but on ECS Exec's four `ssmmessages` actions, which
  take no other, and an execution role that reads exactly the SSM parameters and Secrets
  Manager secrets its task definition names, registry credentials included (EXACT_GRANTS) and
  decrypts only through those services (DECRYPT_VIA_SERVICE), pulls from exactly the ECR
  repositories of its images and logs in to ECR only then (EXACT_PULLS), and writes to exactly
  its containers' log groups (EXACT_LOGS), unless it has AWS's managed policy instead (`ecr:GetAuthorizationToken`
  may have `"Resource": "*"`, which it takes alone); a task role that mounts exactly
  the EFS file systems (and access points) its task definition mounts, writing only where a
  container mounts one writable (EXACT_MOUNTS).

Exit status: 0 when nothing is found, 1 when something is (each finding on its own line,
naming file, tool, rule and place), 2 when the validators themselves could not run.
It runs in the lint venv (cfn-lint and parliament); checkov runs from its own venv.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import itertools
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARTITION, REGION, ACCOUNT, URL_SUFFIX = "aws", "us-east-1", "123456789012", "amazonaws.com"
PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": URL_SUFFIX,
    "AWS::StackName": "sample-stack",
    "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/sample-stack/"
    "11111111-2222-3333-4444-555555555555",
    "AWS::NotificationARNs": [f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:sample-topic"],
}
POLICY_VERSION = "2012-10-17"
LOG_GROUP_KMS_CHECK = "CKV_AWS_158"
# ECR's registry login takes no resource but `*` (docs/grants.md, where the IAM keeps a wildcard).
REGISTRY_LOGIN_ACTIONS = {"ecr:GetAuthorizationToken"}
# Finding ECS Exec's session log group: DescribeLogGroups takes no resource but `*` either.
LOG_GROUP_LISTING_ACTIONS = {"logs:DescribeLogGroups"}
ECR_PULL_ACTIONS = {"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
TASK_EXECUTION_ROLE_POLICY = "policy/service-role/AmazonECSTaskExecutionRolePolicy"
# ECR's IPv4 and dual-stack registry hosts, each with its FIPS form and an optional port.
ECR_IMAGE = re.compile(
    r"^(\d{12})\.(?:dkr\.ecr|dkr-ecr)(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com|on\.aws)(?::\d+)?/([^:@]+)")
ECS_EXEC_ACTIONS = {
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
}
SECRET_SERVICES = {"ssm": "ssm:GetParameters", "secretsmanager": "secretsmanager:GetSecretValue"}


class ToolError(Exception):
    """A validator could not run: exit 2, never a pass."""


class CannotFill(Exception):
    """An intrinsic function the sample filler does not know."""


@dataclass
class Finding:
    file: str
    tool: str
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        message = self.message if len(self.message) <= 300 else self.message[:300] + " [...]"
        return f"{self.file}: {self.tool} {self.rule} at {self.where}: {message}"


@dataclass
class Expanded:
    path: Path
    template: dict
    # Logical IDs of the resources the macro generated (all of them without a source).
    generated: set[str]
    source: Path | None


@dataclass
class Tally:
    templates: int = 0
    identity_policies: int = 0
    trust_policies: int = 0
    execution_roles: int = 0
    checkov_version: str = "?"
    checkov_passed: int = 0
    checkov_failed: int = 0
    waived: list[str] = field(default_factory=list)
    # Where parliament's CREDENTIALS_EXPOSURE was for ecr:GetAuthorizationToken alone.
    registry_logins: list[str] = field(default_factory=list)
    # Where parliament's PERMISSIONS_MANAGEMENT_ACTIONS was for iam:PassRole held to named
    # roles and one service (iam:PassedToService).
    role_passes: list[str] = field(default_factory=list)
    # Where it was for s3:PutObjectAcl held to bucket-owner-full-control.
    owner_acls: list[str] = field(default_factory=list)
    # Where parliament did not know kms:ResourceAliases for a key operation.
    alias_conditions: list[str] = field(default_factory=list)
    not_held: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Sample values for intrinsic functions


class _NoValue:
    pass


NO_VALUE = _NoValue()
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def import_sample(name: str) -> str:
    """Another stack's export, in the form its name says: an export named `...Arn` is an SSM
    parameter ARN of another region and account, `...Path` a path, anything else a name. So
    the grants built for a value the macro cannot see are checked in each form it may take; an
    export named `...EnvFileArn` is an S3 object ARN, the one form an environment file takes."""
    if name.endswith("EnvFileArn"):
        return f"arn:{PARTITION}:s3:::imported-config/{name}.env"
    if name.endswith("Arn"):
        return f"arn:{PARTITION}:ssm:eu-west-1:210987654321:parameter/imported/{name}"
    if name.endswith("Path"):
        return f"/imported/{name}"
    return f"imported-{name}"


class Filler:
    """Evaluates the intrinsic functions of one template with sample values."""

    def __init__(self, template: dict):
        self.parameters = template.get("Parameters") or {}
        self.resources = template.get("Resources") or {}
        self.mappings = template.get("Mappings") or {}

    def fill(self, value):
        if isinstance(value, dict):
            if len(value) == 1:
                (key, argument), = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._intrinsic(key, argument)
            filled = {k: self.fill(v) for k, v in value.items()}
            return {k: v for k, v in filled.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.fill(item) for item in value) if v is not NO_VALUE]
        return value

    def _intrinsic(self, key: str, argument):
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                argument = argument.split(".", 1)
            name, attribute = self.fill(argument)
            return self.get_att(name, attribute)
        if key == "Fn::Sub":
            if isinstance(argument, list):
                text, variables = argument
                return self.sub(text, {k: self.fill(v) for k, v in variables.items()})
            return self.sub(argument, {})
        if key == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(str(item) for item in self.fill(items))
        if key == "Fn::Select":
            index, items = self.fill(argument)
            return items[int(index)]
        if key == "Fn::Split":
            delimiter, text = self.fill(argument)
            return text.split(delimiter)
        if key == "Fn::If":
            # The condition is taken to hold: the first branch is the sample.
            return self.fill(argument[1])
        if key == "Fn::ImportValue":
            return import_sample(self.fill(argument))
        if key == "Fn::FindInMap":
            name, first, second = self.fill(argument[:3])
            return self.mappings[name][first][second]
        if key == "Fn::GetAZs":
            return [f"{REGION}a", f"{REGION}b"]
        if key == "Fn::Base64":
            return base64.b64encode(str(self.fill(argument)).encode()).decode()
        raise CannotFill(f"no sample value for {key}")

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            parameter = self.parameters[name] or {}
            default = parameter.get("Default")
            if default is None:
                default = f"sample-{name.lower()}"
            if str(parameter.get("Type", "")).startswith(("List<", "CommaDelimitedList")):
                return default if isinstance(default, list) else str(default).split(",")
            return str(default)
        if name in self.resources:
            return self._resource_ref(name)
        raise CannotFill(f"Ref to {name}, which the template does not declare")

    def _literal_property(self, name: str, key: str) -> str | None:
        value = (self.resources[name].get("Properties") or {}).get(key)
        if value is None:
            return None
        value = self.fill(value)
        return value if isinstance(value, str) else None

    def _resource_ref(self, name: str) -> str:
        kind = self.resources[name].get("Type", "")
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        if kind == "AWS::SSM::Parameter":
            return self._literal_property(name, "Name") or f"{name}-sample"
        if kind == "AWS::S3::Bucket":
            return self._literal_property(name, "BucketName") or f"{name.lower()}-sample"
        if kind == "AWS::Logs::LogGroup":
            return self._literal_property(name, "LogGroupName") or f"{name}-sample"
        if kind == "AWS::ECR::Repository":
            return self._literal_property(name, "RepositoryName") or f"{name.lower()}-sample"
        if kind == "AWS::ECS::TaskDefinition":
            family = self._literal_property(name, "Family") or name
            return f"arn:{PARTITION}:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:1"
        return f"{name}-sample"

    def role_arn(self, name: str) -> str:
        path = self._literal_property(name, "Path") or "/"
        role_name = self._literal_property(name, "RoleName") or f"{name}-sample"
        return f"arn:{PARTITION}:iam::{ACCOUNT}:role{path}{role_name}"

    def get_att(self, name: str, attribute: str):
        if name not in self.resources:
            raise CannotFill(f"Fn::GetAtt of {name}, which the template does not declare")
        kind = self.resources[name].get("Type", "")
        if attribute == "Arn":
            if kind == "AWS::S3::Bucket":
                return f"arn:{PARTITION}:s3:::{self._resource_ref(name)}"
            if kind == "AWS::IAM::Role":
                return self.role_arn(name)
            if kind == "AWS::Logs::LogGroup":
                return f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{self._resource_ref(name)}:*"
            if kind in ("AWS::SecretsManager::Secret", "AWS::ECS::TaskDefinition"):
                return self._resource_ref(name)
            if kind == "AWS::ECR::Repository":
                return f"arn:{PARTITION}:ecr:{REGION}:{ACCOUNT}:repository/{self._resource_ref(name)}"
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "sample"
            return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{name.lower()}"
        if kind == "AWS::SecretsManager::Secret" and attribute == "Id":
            return self._resource_ref(name)  # a secret's Id is its ARN, as its Ref is
        if kind == "AWS::ECR::Repository" and attribute == "RepositoryUri":
            return f"{ACCOUNT}.dkr.ecr.{REGION}.{URL_SUFFIX}/{self._resource_ref(name)}"
        return f"{name}-{attribute}-sample"

    def sub(self, text: str, variables: dict) -> str:
        def variable(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name not in PSEUDO:
                value = self.get_att(*name.split(".", 1))
            else:
                value = self.ref(name)
            if not isinstance(value, str):
                raise CannotFill(f"${{{name}}} in a Fn::Sub is not a string")
            return value

        return SUB_VARIABLE.sub(variable, text)


# ---------------------------------------------------------------------------------------------
# Reading the files


def load_template(path: Path) -> dict:
    if path.suffix in (".yaml", ".yml"):
        import yaml

        class Loader(yaml.SafeLoader):
            """Short-form tags (`!Ref`, `!Sub`) read as nothing: only IDs and types are needed."""

        Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
        return yaml.load(path.read_text(), Loader=Loader)
    return json.loads(path.read_text())


def read_expanded(path: Path, sources: Path | None) -> Expanded:
    template = load_template(path)
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise ToolError(f"{path}: not a template with Resources")
    resources = set(template["Resources"])
    if sources is None:
        return Expanded(path, template, resources, None)
    for suffix in (".yaml", ".yml", ".json"):
        source = sources / (path.stem + suffix)
        if source.is_file():
            break
    else:
        raise ToolError(f"{path}: no source {path.stem}.yaml in {sources}")
    source_resources = load_template(source).get("Resources") or {}
    # A Fn::ForEach entry (a list, in a template listing AWS::LanguageExtensions) is no resource
    # of its own: the resources it makes are checked as the macro wrote them.
    users = {
        name
        for name, resource in source_resources.items()
        if isinstance(resource, dict) and not str(resource.get("Type", "")).startswith("Buildkite::")
    }
    return Expanded(path, template, resources - users, source)


# ---------------------------------------------------------------------------------------------
# cfn-lint


CFN_LINT_ARGS = ["--configure-rule", "E3012:strict=true", "--include-checks", "I3042"]


def run_cfn_lint(files: list[Expanded], cfn_lint: Path) -> list[Finding]:
    command = [str(cfn_lint), "--format", "json", *CFN_LINT_ARGS, "--", *(str(f.path) for f in files)]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        matches = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        raise ToolError(f"cfn-lint exited {result.returncode}: {result.stdout}{result.stderr}")
    if result.returncode != 0 and not matches:
        raise ToolError(f"cfn-lint exited {result.returncode} with nothing found: {result.stderr}")
    findings = []
    for match in matches:
        path = match["Location"].get("Path") or []
        line = match["Location"]["Start"]["LineNumber"]
        where = "/".join(str(part) for part in path) or f"line {line}"
        findings.append(
            Finding(
                match.get("Filename") or "(cfn-lint)",
                "cfn-lint",
                match["Rule"]["Id"],
                where,
                f"{match['Level']}: {match['Message']}",
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------
# checkov


def run_checkov(files: list[Expanded], checkov: Path, tally: Tally) -> list[Finding]:
    command = [str(checkov), "--framework", "cloudformation", "--skip-download", "--output", "json"]
    for expanded in files:
        command += ["--file", str(expanded.path)]
    environment = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true")
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise ToolError(f"checkov exited {result.returncode}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    if isinstance(reports, dict):
        reports = [reports]
    if not reports or any("results" not in report for report in reports):
        raise ToolError(f"checkov reported no results: {result.stdout[-2000:]}")

    by_path = {str(f.path.resolve()): f for f in files}
    checked: set[str] = set()
    passed_kms: set[tuple[str, str]] = set()
    findings = []
    for report in reports:
        tally.checkov_version = report["summary"].get("checkov_version", "?")
        if report["summary"].get("parsing_errors"):
            raise ToolError(f"checkov could not parse: {report['results'].get('parsing_errors')}")
        for outcome in ("passed_checks", "failed_checks"):
            for check in report["results"].get(outcome, []):
                expanded = by_path.get(str(Path(check["file_abs_path"]).resolve()))
                if expanded is None:
                    raise ToolError(f"checkov reported on a file not given: {check['file_abs_path']}")
                checked.add(str(expanded.path))
                logical_id = check["resource"].partition(".")[2]
                if outcome == "passed_checks":
                    tally.checkov_passed += 1
                    if check["check_id"] == LOG_GROUP_KMS_CHECK:
                        passed_kms.add((str(expanded.path), logical_id))
                    continue
                tally.checkov_failed += 1
                if logical_id not in expanded.generated:
                    tally.not_held.append(f"{expanded.path}: {check['check_id']} on {logical_id} "
                                          f"(the user's own resource, not generated): {check['check_name']}")
                    continue
                properties = expanded.template["Resources"][logical_id].get("Properties") or {}
                if check["check_id"] == LOG_GROUP_KMS_CHECK and "KmsKeyId" not in properties:
                    tally.waived.append(f"{expanded.path.stem}:{logical_id}")
                    continue
                findings.append(
                    Finding(str(expanded.path), "checkov", check["check_id"], f"Resources/{logical_id}", check["check_name"])
                )
        # A skip written into a generated resource (`Metadata: checkov: skip:`) is a suppression.
        for check in report["results"].get("skipped_checks", []):
            expanded = by_path.get(str(Path(check["file_abs_path"]).resolve()))
            logical_id = check["resource"].partition(".")[2]
            if expanded is not None and logical_id in expanded.generated:
                findings.append(Finding(str(expanded.path), "checkov", "CHECKOV_SKIP", f"Resources/{logical_id}",
                                        f"{check['check_id']} is skipped by the template's own Metadata"))
    for expanded in files:
        if str(expanded.path) not in checked:
            findings.append(Finding(str(expanded.path), "checkov", "NOT_SCANNED", "(file)", "checkov ran no check on it"))
        # A log group with a key must pass CKV_AWS_158, not merely not fail it.
        for logical_id in sorted(expanded.generated):
            resource = expanded.template["Resources"][logical_id]
            if resource.get("Type") == "AWS::Logs::LogGroup" and "KmsKeyId" in (resource.get("Properties") or {}):
                if (str(expanded.path), logical_id) not in passed_kms:
                    findings.append(
                        Finding(str(expanded.path), "checkov", LOG_GROUP_KMS_CHECK, f"Resources/{logical_id}",
                                "a log group with KmsKeyId did not pass CKV_AWS_158")
                    )
    return findings


# ---------------------------------------------------------------------------------------------
# Conditions: each way they can go


def condition_scenarios(expanded: Expanded) -> list[tuple[str, Expanded]]:
    """(label, template) for each way the conditions the generated resources branch on can go;
    the template itself, labelled "", when they branch on none."""
    template = expanded.template
    conditions = template.get("Conditions") or {}
    resources = template["Resources"]

    def named_in(value, found: set[str]) -> set[str]:
        if isinstance(value, dict):
            if len(value) == 1 and isinstance(value.get("Fn::If"), list) and value["Fn::If"]:
                found.add(str(value["Fn::If"][0]))
            for child in value.values():
                named_in(child, found)
        elif isinstance(value, list):
            for child in value:
                named_in(child, found)
        return found

    def referenced(definition, found: set[str]) -> set[str]:
        """The conditions a definition of Condition/Fn::Not/Fn::And/Fn::Or names."""
        if isinstance(definition, dict) and len(definition) == 1:
            (key, argument), = definition.items()
            if key == "Condition":
                found.add(str(argument))
            elif key in ("Fn::Not", "Fn::And", "Fn::Or") and isinstance(argument, list):
                for item in argument:
                    referenced(item, found)
        return found

    def derived(name: str) -> bool:
        definition = conditions.get(name)
        return (isinstance(definition, dict) and len(definition) == 1
                and next(iter(definition)) in ("Condition", "Fn::Not", "Fn::And", "Fn::Or")
                and all(derived(n) or n in conditions for n in referenced(definition, set())))

    named: set[str] = set()
    for logical_id in expanded.generated:
        resource = resources[logical_id] or {}
        if isinstance(resource.get("Condition"), str):
            named.add(resource["Condition"])
        named_in(resource.get("Properties"), named)
    base: set[str] = set()
    pending = list(named)
    while pending:
        name = pending.pop()
        if derived(name):
            pending += [n for n in referenced(conditions[name], set()) if n not in base]
        else:
            base.add(name)
    if not base:
        return [("", expanded)]
    order = sorted(base)
    scenarios = []
    for values in itertools.product([True, False], repeat=len(order)):
        truth = dict(zip(order, values))

        def holds(name: str) -> bool:
            if name in truth:
                return truth[name]
            return evaluate(conditions[name])

        def evaluate(definition) -> bool:
            (key, argument), = definition.items()
            if key == "Condition":
                return holds(argument)
            if key == "Fn::Not":
                return not evaluate(argument[0])
            if key == "Fn::And":
                return all(evaluate(item) for item in argument)
            return any(evaluate(item) for item in argument)

        def resolve(value):
            if isinstance(value, dict):
                if len(value) == 1 and isinstance(value.get("Fn::If"), list) and len(value["Fn::If"]) == 3:
                    name, when_true, when_false = value["Fn::If"]
                    return resolve(when_true if holds(name) else when_false)
                if value == {"Ref": "AWS::NoValue"}:
                    return NO_VALUE
                resolved = {k: resolve(v) for k, v in value.items()}
                return {k: v for k, v in resolved.items() if v is not NO_VALUE}
            if isinstance(value, list):
                return [v for v in map(resolve, value) if v is not NO_VALUE]
            return value

        kept = {}
        for logical_id, resource in resources.items():
            if logical_id not in expanded.generated:
                kept[logical_id] = resource
            elif not isinstance(resource.get("Condition"), str) or holds(resource["Condition"]):
                kept[logical_id] = resolve(resource)
        label = ",".join(f"{name}={str(truth[name]).lower()}" for name in order)
        scenario = Expanded(expanded.path, dict(template, Resources=kept),
                            expanded.generated & set(kept), expanded.source)
        scenarios.append((label, scenario))
    return scenarios


# ---------------------------------------------------------------------------------------------
# IAM policy documents: parliament and our own checks


@dataclass
class PolicyDocument:
    where: str
    trust: bool
    document: object  # as written
    filled: object  # with sample values


def policy_documents(expanded: Expanded, filler: Filler) -> tuple[list[PolicyDocument], list[Finding]]:
    documents, problems = [], []
    for logical_id in sorted(expanded.generated, key=list(expanded.template["Resources"]).index):
        resource = expanded.template["Resources"][logical_id]
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        written: list[tuple[str, bool, object]] = []
        if kind == "AWS::IAM::Role":
            if "AssumeRolePolicyDocument" in properties:
                written.append((f"Resources/{logical_id}/Properties/AssumeRolePolicyDocument", True,
                                properties["AssumeRolePolicyDocument"]))
            for index, policy in enumerate(properties.get("Policies") or []):
                written.append((f"Resources/{logical_id}/Properties/Policies/{index}/PolicyDocument", False,
                                (policy or {}).get("PolicyDocument")))
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            written.append((f"Resources/{logical_id}/Properties/PolicyDocument", False, properties.get("PolicyDocument")))
        for where, trust, document in written:
            try:
                filled = filler.fill(document)
                if trust:
                    filled = with_role_as_resource(filled, filler.role_arn(logical_id))
            except (CannotFill, KeyError, IndexError, TypeError, ValueError) as error:
                problems.append(Finding(str(expanded.path), "parliament", "CANNOT_FILL", where, str(error)))
                continue
            documents.append(PolicyDocument(where, trust, document, filled))
    return documents, problems


def with_role_as_resource(document, role_arn: str):
    """A trust policy guards its role: give parliament that as the Resource it expects."""
    if isinstance(document, dict) and isinstance(document.get("Statement"), (list, dict)):
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if isinstance(statement, dict) and "Resource" not in statement and "NotResource" not in statement:
                statement["Resource"] = role_arn
    return document


def setup_parliament():
    import parliament
    from parliament import cli as parliament_cli

    community_override = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"
    parliament.override_config(str(community_override))
    return parliament, parliament_cli.is_finding_filtered


def run_parliament(expanded: Expanded, documents: list[PolicyDocument], parliament_api, tally: Tally) -> list[Finding]:
    parliament, is_finding_filtered = parliament_api
    findings = []
    for document in documents:
        policy = parliament.analyze_policy_string(
            json.dumps(document.filled), str(expanded.path),
            # The community auditors read a policy as an identity's: to them a trust policy's
            # sts:AssumeRole is "credentials exposure", which is what a trust policy is for.
            include_community_auditors=not document.trust, config=parliament.config,
        )
        for finding in policy.findings:
            finding = parliament.enhance_finding(finding)
            if is_finding_filtered(finding, "INFO"):
                continue
            # ECR's registry login is what pulling an ECR image needs (docs/grants.md, where the IAM
            # keeps a wildcard): waived for that action alone, any other exposure is a finding.
            actions = (finding.location or {}).get("actions") if isinstance(finding.location, dict) else None
            if finding.issue == "CREDENTIALS_EXPOSURE" and actions == ["ecr:getauthorizationtoken"]:
                tally.registry_logins.append(f"{expanded.path}: {document.where}")
                continue
            # The agent's uploads carry a canned ACL (docs/ci-features.md, artifacts bucket): waived when every
            # s3:PutObjectAcl is held to bucket-owner-full-control.
            if finding.issue == "PERMISSIONS_MANAGEMENT_ACTIONS" and actions == ["s3:putobjectacl"] \
                    and object_acls_held_to_the_owner(document.filled):
                tally.owner_acls.append(f"{expanded.path}: {document.where}")
                continue
            # kms:ResourceAliases is a condition key of the KMS key resource, so of every
            # operation on a key (AWS's service authorization reference for KMS); parliament
            # 1.6.4 checks only each action's own keys. Waived for a key operation the
            # signing grant makes (docs/ci-features.md, signed pipelines); any other unknown key is a finding.
            if finding.issue == "UNKNOWN_CONDITION_FOR_ACTION" and re.fullmatch(
                    r"Unknown condition kms:ResourceAliases for action kms:(Sign|GetPublicKey)",
                    str(finding.detail)):
                tally.alias_conditions.append(f"{expanded.path}: {document.where}: {finding.detail}")
                continue
            # A run policy passes the task's own roles to ECS (docs/ci-features.md, a run policy for the
            # scheduler): waived when every iam:PassRole names its roles and the one service.
            if finding.issue == "PERMISSIONS_MANAGEMENT_ACTIONS" and actions == ["iam:passrole"] \
                    and passes_named_roles_to_one_service(document.filled):
                tally.role_passes.append(f"{expanded.path}: {document.where}")
                continue
            detail = f": {finding.detail}" if finding.detail else ""
            findings.append(Finding(str(expanded.path), "parliament", finding.issue, document.where,
                                    f"{finding.severity} {finding.title}{detail}"))
    return findings


def object_acls_held_to_the_owner(document) -> bool:
    """Every s3:PutObjectAcl is alone in its statement, under s3:x-amz-acl bucket-owner-full-control."""
    for statement in statements_of(document):
        actions = as_list(statement.get("Action"))
        if "s3:PutObjectAcl" not in actions:
            continue
        condition = statement.get("Condition") or {}
        if actions != ["s3:PutObjectAcl"] or condition != {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}:
            return False
    return True


def passes_named_roles_to_one_service(document) -> bool:
    """Every iam:PassRole statement names roles (no wildcard) under iam:PassedToService."""
    for statement in statements_of(document):
        if "iam:PassRole" not in as_list(statement.get("Action")):
            continue
        resources = [str(r) for r in as_list(statement.get("Resource"))]
        services = [v for values in (statement.get("Condition") or {}).values() if isinstance(values, dict)
                    for v in as_list(values.get("iam:PassedToService", []))]
        if not resources or any("*" in r or ":role/" not in r for r in resources) or len(services) != 1:
            return False
    return True


def statements_of(document) -> list[dict]:
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, dict)]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_shape_findings(expanded: Expanded, documents: list[PolicyDocument]) -> list[Finding]:
    findings = []
    for document in documents:
        version = document.document.get("Version") if isinstance(document.document, dict) else None
        if version != POLICY_VERSION:
            findings.append(Finding(str(expanded.path), "iam", "POLICY_VERSION", document.where,
                                    f'Version is {json.dumps(version)}, not "{POLICY_VERSION}"'))
        if document.trust:
            continue
        for statement in statements_of(document.filled):
            actions = set(as_list(statement.get("Action")))
            # ECS Exec's session channels take no resource but `*` (docs/grants.md, where the IAM
            # keeps a wildcard): exactly those four actions may have it.
            if actions and (actions <= ECS_EXEC_ACTIONS or actions <= REGISTRY_LOGIN_ACTIONS
                            or actions <= LOG_GROUP_LISTING_ACTIONS):
                continue
            if "*" in as_list(statement.get("Resource")):
                findings.append(Finding(str(expanded.path), "iam", "WILDCARD_RESOURCE", document.where,
                                        f'"Resource": "*" for {json.dumps(statement.get("Action"))}'))
    return findings


def pattern_matches(pattern: str, text: str) -> bool:
    """IAM resource matching: `*` any run of characters, `?` any one."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, text) is not None


SSM_REFERENCE = "/aws/reference/secretsmanager/"


def named_grants(value_from: str, registry: bool = False) -> set[tuple[str, str]]:
    """The (service, ARN)s a container secret's ValueFrom names (with `registry`, its
    RepositoryCredentials, which ECS reads from Secrets Manager by ARN or by name). SSM's
    reference to a Secrets Manager secret names the parameter and the secret."""
    if value_from.startswith("arn:"):
        fields = value_from.split(":")
        if fields[2] == "secretsmanager":
            return {("secretsmanager", ":".join(fields[:7]))}  # without a JSON key selector
        if fields[2] == "ssm" and SSM_REFERENCE in value_from:
            name = value_from.split(SSM_REFERENCE, 1)[1]
            return {("ssm", value_from),
                    ("secretsmanager", f"arn:{PARTITION}:secretsmanager:{fields[3]}:{fields[4]}:secret:{name}")}
        return {(fields[2], value_from)}
    if registry:
        return {("secretsmanager", f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{value_from}")}
    separator = "" if value_from.startswith("/") else "/"
    parameter = {("ssm", f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter{separator}{value_from}")}
    if value_from.startswith(SSM_REFERENCE):
        name = value_from[len(SSM_REFERENCE):]
        return parameter | {("secretsmanager", f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}")}
    return parameter


def generated_roles_of_task_definitions(expanded: Expanded, role_property: str):
    """(task definition ID, its properties, role ID) for each generated task definition whose
    `role_property` (ExecutionRoleArn, TaskRoleArn) names a generated role."""
    resources = expanded.template["Resources"]
    for logical_id in sorted(expanded.generated):
        resource = resources[logical_id]
        if resource.get("Type") != "AWS::ECS::TaskDefinition":
            continue
        properties = resource.get("Properties") or {}
        role_reference = properties.get(role_property)
        role_id = (role_reference or {}).get("Fn::GetAtt", [None])[0] if isinstance(role_reference, dict) else None
        if role_id in expanded.generated:
            yield logical_id, properties, role_id


def grant_findings(expanded: Expanded, filler: Filler, tally: Tally) -> list[Finding]:
    """Each generated execution role reads exactly what its task definition names."""
    findings = []
    resources = expanded.template["Resources"]
    for logical_id, properties, role_id in generated_roles_of_task_definitions(expanded, "ExecutionRoleArn"):
        tally.execution_roles += 1
        where = f"Resources/{role_id}/Properties/Policies"
        try:
            containers = properties.get("ContainerDefinitions") or []
            named = {
                grant
                for container in containers
                for secret in container.get("Secrets") or []
                for grant in named_grants(filler.fill(secret["ValueFrom"]))
            } | {
                grant
                for container in containers
                if "RepositoryCredentials" in container
                for grant in named_grants(filler.fill(container["RepositoryCredentials"]["CredentialsParameter"]),
                                          registry=True)
            }
            statements = [
                statement
                for policy in filler.fill(resources[role_id].get("Properties", {}).get("Policies") or [])
                for statement in statements_of(policy.get("PolicyDocument"))
            ]
        except (CannotFill, KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            findings.append(Finding(str(expanded.path), "iam", "CANNOT_FILL", where, str(error)))
            continue
        granted = set()
        for statement in statements:
            actions = as_list(statement.get("Action"))
            for action in actions:
                service = str(action).split(":")[0]
                if service in SECRET_SERVICES and action != SECRET_SERVICES[service]:
                    findings.append(Finding(str(expanded.path), "iam", "EXACT_GRANTS", where,
                                            f"{action} is more than reading the secrets named"))
                if service in SECRET_SERVICES and action == SECRET_SERVICES[service]:
                    granted |= {(service, r) for r in as_list(statement.get("Resource"))}
                if action == "kms:Decrypt":
                    via = (statement.get("Condition") or {})
                    services = [v for values in via.values() if isinstance(values, dict)
                                for v in as_list(values.get("kms:ViaService", []))]
                    # The service endpoints of the secrets named, each in its secret's region.
                    needed = {f"{service}.{arn.split(':')[3]}.{URL_SUFFIX}" for service, arn in named}
                    unneeded = [s for s in services if not any(pattern_matches(s, n) for n in needed)]
                    if not services or unneeded:
                        findings.append(Finding(str(expanded.path), "iam", "DECRYPT_VIA_SERVICE", where,
                                                f"kms:Decrypt through {unneeded or 'any service'}, "
                                                f"where the secrets named need only {sorted(needed)}"))
        for service, arn in sorted(named):
            if not any(s == service and (pattern_matches(g, arn) or pattern_matches(g, arn + "-AbCdEf"))
                       for s, g in granted):
                findings.append(Finding(str(expanded.path), "iam", "EXACT_GRANTS", where,
                                        f"{arn} is named in {logical_id} but not granted"))
        for service, pattern in sorted(granted):
            if not any(s == service and (pattern_matches(pattern, arn) or pattern_matches(pattern, arn + "-AbCdEf"))
                       for s, arn in named):
                findings.append(Finding(str(expanded.path), "iam", "EXACT_GRANTS", where,
                                        f"{pattern} is granted but named by no secret of {logical_id}"))
    return findings


ANY_ECR_REPOSITORY = f"arn:{PARTITION}:ecr:*:*:repository/*"


def deploy_only_image(container: dict, filler: Filler) -> bool:
    """Whether a container's image, as written, is a value only a deploy gives (a `GetAtt` of
    another than an ECR repository, an `ImportValue`) that its sample does not place in ECR."""
    image = container.get("Image")
    text = json.dumps(image)
    if not isinstance(image, dict) or not ("Fn::ImportValue" in text or "Fn::GetAtt" in text):
        return False
    try:
        sample = str(filler.fill(image))
    except CannotFill:
        return True
    return not ECR_IMAGE.match(sample) and "RepositoryUri" not in text and "Arn" not in text


def pull_and_log_findings(expanded: Expanded, filler: Filler) -> list[Finding]:
    """Each generated execution role without AWS's managed policy pulls from exactly the ECR
    repositories of its task definition's images, logs in to ECR only when it pulls
    (EXACT_PULLS), and writes to exactly the log groups its containers log to (EXACT_LOGS)."""
    findings = []
    resources = expanded.template["Resources"]
    for logical_id, properties, role_id in generated_roles_of_task_definitions(expanded, "ExecutionRoleArn"):
        role = resources[role_id].get("Properties") or {}
        where = f"Resources/{role_id}/Properties/Policies"
        try:
            if any(TASK_EXECUTION_ROLE_POLICY in str(filler.fill(arn)) for arn in role.get("ManagedPolicyArns") or []):
                continue
            written = properties.get("ContainerDefinitions") or []
            containers = filler.fill(written)
            repositories = set()
            for container in containers:
                match = ECR_IMAGE.match(str(container.get("Image", "")))
                if match:
                    account, region, repository = match.groups()
                    repositories.add(f"arn:{PARTITION}:ecr:{region}:{account}:repository/{repository}")
            # An image only a deploy names (a nested stack's output, an import) that the sample
            # does not make an ECR image: pulled from any repository, as the first release's
            # managed policy let it (README, "Images the macro cannot place").
            if any(deploy_only_image(container, filler) for container in written if isinstance(container, dict)):
                repositories.add(ANY_ECR_REPOSITORY)
            log_groups = {
                f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{options['awslogs-group']}:*"
                for container in containers
                for options in [((container.get("LogConfiguration") or {}).get("Options") or {})]
                if "awslogs-group" in options
            }
            pulled, logged, logs_in, other_ecr = set(), set(), False, set()
            for policy in filler.fill(role.get("Policies") or []):
                for statement in statements_of(policy.get("PolicyDocument")):
                    actions = set(as_list(statement.get("Action")))
                    granted = set(as_list(statement.get("Resource")))
                    if actions & ECR_PULL_ACTIONS:
                        if actions != ECR_PULL_ACTIONS:
                            other_ecr.add(json.dumps(sorted(actions)))
                        pulled |= granted
                    elif actions & REGISTRY_LOGIN_ACTIONS:
                        logs_in = True
                    elif any(str(a).startswith("ecr:") for a in actions):
                        other_ecr.add(json.dumps(sorted(actions)))
                    if actions & LOG_ACTIONS or any(str(a).startswith("logs:") for a in actions):
                        if not actions <= LOG_ACTIONS:
                            findings.append(Finding(str(expanded.path), "iam", "EXACT_LOGS", where,
                                                    f"{sorted(actions)} is more than writing the task's logs"))
                        logged |= granted
        except (CannotFill, KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            findings.append(Finding(str(expanded.path), "iam", "CANNOT_FILL", where, str(error)))
            continue
        for actions in sorted(other_ecr):
            findings.append(Finding(str(expanded.path), "iam", "EXACT_PULLS", where,
                                    f"ECR actions {actions} are not exactly the pull actions"))
        if pulled != repositories:
            findings.append(Finding(str(expanded.path), "iam", "EXACT_PULLS", where,
                                    f"pulls from {sorted(pulled)}, but the images of {logical_id} are in {sorted(repositories)}"))
        if logs_in != bool(repositories):
            findings.append(Finding(str(expanded.path), "iam", "EXACT_PULLS", where,
                                    f"ecr:GetAuthorizationToken {'granted' if logs_in else 'missing'} where "
                                    f"{logical_id} pulls from {len(repositories)} ECR repositories"))
        if logged != log_groups:
            findings.append(Finding(str(expanded.path), "iam", "EXACT_LOGS", where,
                                    f"writes logs to {sorted(logged)}, but the containers of {logical_id} log to {sorted(log_groups)}"))
    return findings


def task_role_findings(expanded: Expanded, filler: Filler) -> list[Finding]:
    """Each generated task role mounts exactly the EFS volumes its task definition mounts,
    writing only where a container mounts one writable (EXACT_MOUNTS)."""
    findings = []
    resources = expanded.template["Resources"]
    for logical_id, properties, role_id in generated_roles_of_task_definitions(expanded, "TaskRoleArn"):
        where = f"Resources/{role_id}/Properties/Policies"
        try:
            # (file system ARN, access point ARN or None) -> whether some container writes to it
            needed: dict[tuple[str, str | None], bool] = {}
            for volume in filler.fill(properties.get("Volumes") or []):
                efs = volume.get("EFSVolumeConfiguration")
                if not efs:
                    continue
                prefix = f"arn:{PARTITION}:elasticfilesystem:{REGION}:{ACCOUNT}"
                access_point = (efs.get("AuthorizationConfig") or {}).get("AccessPointId")
                key = (f"{prefix}:file-system/{efs['FilesystemId']}",
                       f"{prefix}:access-point/{access_point}" if access_point else None)
                writes = any(
                    mount.get("SourceVolume") == volume["Name"] and not mount.get("ReadOnly", False)
                    for container in properties.get("ContainerDefinitions") or []
                    for mount in container.get("MountPoints") or []
                )
                needed[key] = needed.get(key, False) or writes
            granted: dict[tuple[str, str | None], set[str]] = {}
            for policy in filler.fill(resources[role_id].get("Properties", {}).get("Policies") or []):
                for statement in statements_of(policy.get("PolicyDocument")):
                    actions = [a for a in as_list(statement.get("Action")) if str(a).startswith("elasticfilesystem:")]
                    if not actions:
                        continue
                    conditions = statement.get("Condition") or {}
                    access_points = [v for values in conditions.values() if isinstance(values, dict)
                                     for v in as_list(values.get("elasticfilesystem:AccessPointArn", []))]
                    for file_system in as_list(statement.get("Resource")):
                        for access_point in access_points or [None]:
                            granted.setdefault((file_system, access_point), set()).update(actions)
        except (CannotFill, KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            findings.append(Finding(str(expanded.path), "iam", "CANNOT_FILL", where, str(error)))
            continue
        for key, writes in sorted(needed.items(), key=str):
            want = {"elasticfilesystem:ClientMount"} | ({"elasticfilesystem:ClientWrite"} if writes else set())
            if granted.get(key) != want:
                findings.append(Finding(str(expanded.path), "iam", "EXACT_MOUNTS", where,
                                        f"{key} is mounted by {logical_id} and needs {sorted(want)}, "
                                        f"but the task role has {sorted(granted.get(key, []))}"))
        for key in sorted(set(granted) - set(needed), key=str):
            findings.append(Finding(str(expanded.path), "iam", "EXACT_MOUNTS", where,
                                    f"{key} is granted but mounted by no volume of {logical_id}"))
    return findings


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="expanded templates: JSON, or YAML in long form as `expand` writes it")
    parser.add_argument("--sources", type=Path, help="folder of the source templates: NAME.json came from NAME.yaml")
    parser.add_argument("--report", type=Path, help="also write the findings and counts here as JSON")
    parser.add_argument("--cfn-lint", type=Path, default=ROOT / ".venv/lint/bin/cfn-lint")
    parser.add_argument("--checkov", type=Path, default=ROOT / ".venv/checkov/bin/checkov")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / ".cache"))
    started = time.monotonic()

    try:
        files = [read_expanded(path, arguments.sources) for path in arguments.files]
        tally = Tally(templates=len(files))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            cfn_lint = pool.submit(run_cfn_lint, files, arguments.cfn_lint)
            checkov = pool.submit(run_checkov, files, arguments.checkov, tally)
            findings: list[Finding] = []
            parliament_api = setup_parliament()
            for written in files:
                for label, expanded in condition_scenarios(written):
                    filler = Filler(expanded.template)
                    documents, problems = policy_documents(expanded, filler)
                    tally.identity_policies += sum(not d.trust for d in documents)
                    tally.trust_policies += sum(d.trust for d in documents)
                    found = problems
                    found += run_parliament(expanded, documents, parliament_api, tally)
                    found += policy_shape_findings(expanded, documents)
                    found += grant_findings(expanded, filler, tally)
                    found += task_role_findings(expanded, filler)
                    found += pull_and_log_findings(expanded, filler)
                    for finding in found:
                        finding.where += f" [{label}]" if label else ""
                    findings += found
            findings = cfn_lint.result() + checkov.result() + findings
            import importlib.metadata

            tool_versions = {"cfn-lint": importlib.metadata.version("cfn-lint"),
                             "checkov": tally.checkov_version,
                             "parliament": importlib.metadata.version("parliament")}
    except ToolError as error:
        print(f"validate: the validators could not run: {error}", file=sys.stderr)
        return 2

    findings.sort(key=lambda f: (f.file, f.tool, f.rule, f.where))
    for finding in findings:
        print(finding)
    if tally.waived:
        print(f"waived: {LOG_GROUP_KMS_CHECK} on {len(tally.waived)} log groups without KmsKeyId "
              f"(a customer key is the user's choice, LogKmsKeyId): {', '.join(sorted(tally.waived))}")
    if tally.registry_logins:
        print(f"waived: parliament CREDENTIALS_EXPOSURE for ecr:GetAuthorizationToken alone (ECR's registry "
              f"login, which pulling an ECR image needs) in {len(tally.registry_logins)} policies")
    if tally.alias_conditions:
        print(f"waived: parliament UNKNOWN_CONDITION_FOR_ACTION for kms:ResourceAliases on kms:Sign "
              f"and GetPublicKey (a key resource's condition key, which parliament 1.6.4 does not list) "
              f"{len(tally.alias_conditions)} times")
    if tally.owner_acls:
        print(f"waived: parliament PERMISSIONS_MANAGEMENT_ACTIONS for s3:PutObjectAcl held to "
              f"bucket-owner-full-control (the ACL of the agent's artifact uploads) in {len(tally.owner_acls)} policies")
    if tally.role_passes:
        print(f"waived: parliament PERMISSIONS_MANAGEMENT_ACTIONS for iam:PassRole of named roles to one "
              f"service (iam:PassedToService) in {len(tally.role_passes)} policies")
    for line in sorted(tally.not_held):
        print(f"not held: {line}")
    print(
        f"validate: {tally.templates} templates, {tally.identity_policies} identity and "
        f"{tally.trust_policies} trust policy documents, {tally.execution_roles} execution roles' grants; "
        f"cfn-lint {tool_versions['cfn-lint']}, checkov {tool_versions['checkov']} "
        f"({tally.checkov_passed} passed, {tally.checkov_failed} failed, {len(tally.waived)} waived, "
        f"{len(tally.not_held)} on the user's resources), parliament {tool_versions['parliament']}: "
        f"{len(findings)} findings in {time.monotonic() - started:.1f} s"
    )
    if arguments.report:
        arguments.report.write_text(json.dumps({
            "findings": [asdict(f) for f in findings],
            "versions": tool_versions,
            "counts": {k: v for k, v in asdict(tally).items() if isinstance(v, int)},
        }, indent=2) + "\n")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
