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
and `kms:ViaService` are exactly the region and account of those, with no `*`. The images
cases give the agent and sidecar images as `!Ref` parameters (by tag and by digest, through
ECR's IPv4, dual-stack and FIPS hosts, one with a port) and as `!Sub`s of imported variables:
the execution role's `PullImages` must pull from exactly the ECR repositories of those images (with `ecr:GetAuthorizationToken`, and no `PullImages` at all for
Docker Hub images), and every case's `WriteLogs` must write to exactly the log group moto
created for the task. The signing cases give `PipelineSigningKmsKey` as a `!Ref` parameter (an
alias ARN of another region and account, a key ID) and as a `!Sub` of imports: the task role's
`SignPipelines` must allow exactly `kms:Sign` and `kms:GetPublicKey` on exactly that
key (or on the keys of that region and account held to exactly that alias), and the agent must be
given the key as written. The ssh backend cases give `SshAgentBackend` as a `!Ref` parameter holding
the stage's invoke URL and its ARN: the task role's `InvokeSshAgentBackend` must allow exactly
`execute-api:Invoke` on exactly that stage's `/*/*`, and the ssh-agent container be given its URL,
each computed by CloudFormation from the `Ref`. The artifacts case imports the bucket's name: the task role's
`ReadAndWriteArtifacts` must name exactly the objects under the prefix, listing under it (or of
no keys), and the agent must be given `s3://<bucket>/<prefix>`. The environment-file case imports
a `.env` object's bucket: `ReadEnvironmentFiles` must be `s3:GetObject` on exactly that object and
`s3:GetBucketLocation` on exactly its bucket, cut from the ARN by CloudFormation; another gives
the files and the agent's tags as `CommaDelimitedList` parameters, whose items the macro checks
and writes as `Fn::Select` of the `Ref`: the same objects and buckets, and the tags as given. The secrets
cases name the template's own secret by `!GetAtt Secret.Id` and `!Ref` (granted exactly the ARN
moto gives it, through a stand-in for the `AWS::SecretsManager::Secret` moto's CloudFormation
lacks), give a secret's and the registry credentials' ARNs of another region and account as
`!Ref` parameters (decrypted in exactly that region and account, cut from the values),
registry credentials imported as the secret's name and as its ARN (granted that secret, not
`ci/registry-imported-old`), and a partial ARN whose name ends in a six-letter word
(`ci/db-backup`, granted its secret).

The agent's settings cases give `AgentQueue`, `AgentTags`, `AgentDisconnectAfterJob`,
`StopTimeout`, `AgentSignalGracePeriodSeconds`, `LogDriverMode` and `LogMaxBufferSize` as `!Ref`
parameters (a tag and a buffer size also as `!ImportValue`s) and create the stack with other
values than the macro saw (`deployed`): the agent's `BUILDKITE_AGENT_TAGS`, its flag, its grace
variables (agent 3's and 4's) and every container's awslogs options must be what CloudFormation
computes from the values deployed, and a signal grace period
deployed past its cancel grace period must fail the create.

Then examples/conditions.yaml is deployed on each branch of its conditions (the template
parameters set each way): the execution role reads the Secrets entry under `IsProduction` only
in production, and the task role exists only when `UseOwnRole` does not hold. moto evaluates
`Fn::If` and resource `Condition`s itself; only its lists keep an `AWS::NoValue` entry, which
`drop_no_value_list_entries` leaves out as CloudFormation does.

Last, `X.TaskRoleName` (for AWS CDK's `iam.Role.fromRoleName`): an `AWS::IAM::Policy` naming it in
`Roles` must land on the generated task role (path `/BuildkiteAgentTask/`), and on a role given
by `!GetAtt Mine.Arn` whose path is `/ci/agents/`.

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
import tempfile
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


def select_by_parameter() -> None:
    """CloudFormation takes a `Ref` (or `Fn::FindInMap`) as the index of `Fn::Select` (its
    reference's "Supported functions"); moto 5.2.5 calls `int()` on the index as written, which
    fails on a `Ref`. Resolve the index first, as CloudFormation does; the rest is moto's."""
    clean_json = moto_parsing.clean_json

    def cleaned(resource_json, resources_map):
        if isinstance(resource_json, dict) and isinstance(resource_json.get("Fn::Select"), list):
            index, items = resource_json["Fn::Select"]
            if isinstance(index, dict):
                resource_json = {"Fn::Select": [clean_json(index, resources_map), items]}
        return clean_json(resource_json, resources_map)

    moto_parsing.clean_json = cleaned


select_by_parameter()


def secrets_in_stacks() -> None:
    """moto 5.2.5's CloudFormation has no `AWS::SecretsManager::Secret` (measured: it warns and
    skips it, so a `Ref` or `GetAtt` to one fails). Stand one in, as CloudFormation's template
    reference has it: the secret is created in moto's Secrets Manager, and its `Ref` and its
    `Fn::GetAtt Id` are both its ARN."""
    from moto.core.common_models import CloudFormationModel

    class StackSecret(CloudFormationModel):
        # moto files each model under the service its module names.
        __module__ = "moto.secretsmanager"

        def __init__(self, arn: str):
            self.arn = arn

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SecretsManager::Secret"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Id"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "Id":
                return self.arn
            raise NotImplementedError(attribute_name)

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                            **kwargs):  # type: ignore[override]
            client = boto3.client("secretsmanager", region_name=region_name)
            return cls(client.create_secret(Name=resource_name, SecretString="fake")["ARN"])


secrets_in_stacks()


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
    # ECR repositories the execution role pulls from (PullImages), beside nothing else.
    repositories: list[str] = field(default_factory=list)
    # The task role's SignPipelines: the key ARNs granted and the aliases they are held to,
    # and the value the agent is given; None where no signing key is named.
    signing: tuple[list[str], list[str], str] | None = None
    # The task role's ReadAndWriteArtifacts: (bucket name, prefix or None) and the destination
    # the agent is given; None where no bucket is named.
    artifacts: tuple[str, str | None, str] | None = None
    # The execution role's ReadEnvironmentFiles: (objects, buckets); None where none is named.
    environment_files: tuple[list[str], list[str]] | None = None
    # The task role's InvokeSshAgentBackend: the one resource granted, and the invoke URL the
    # ssh-agent container is given; None where no backend is named.
    ssh_backend: tuple[str, str] | None = None
    # Names of secrets the stack itself creates, whose ARNs are known once it is: each must be
    # granted, and the grants must be exactly those ARNs.
    stack_secrets: list[str] = field(default_factory=list)
    # Other inline policies of the task role, by name: exactly the (sorted actions, resource,
    # condition as sorted JSON) each allows.
    task_policies: dict[str, set] = field(default_factory=dict)
    # Variables the agent container must be given, as CloudFormation computed them.
    agent_environment: dict[str, str] = field(default_factory=dict)
    # Variables other containers must be given, by container name.
    container_environment: dict[str, dict[str, str]] = field(default_factory=dict)
    # Secrets other containers must be given (name -> valueFrom), by container name.
    container_secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    # awslogs options every container must be given, as CloudFormation computed them.
    log_options: dict[str, str] = field(default_factory=dict)
    # Why the stack must fail to create, where the values deployed cannot fit; None where it must not.
    deploy_fails: str | None = None


@dataclass
class Case:
    name: str
    # Export name -> value, exported by a stack of their own before the template is created.
    exports: dict[str, str]
    # The Buildkite resource's properties, as YAML lines under `Properties:`.
    properties: str
    expected: Expected
    # Template parameters and their defaults, which both the macro and moto's stack read.
    parameters: dict[str, str] = field(default_factory=dict)
    # Other resources of the template, as YAML lines under `Resources:`.
    resources: str = ""
    # Parameter values the stack is created with, where they differ from the defaults the macro
    # saw: what the macro derives from a parameter must follow the value deployed.
    deployed: dict[str, str] = field(default_factory=dict)
    # The `Type` of a parameter that is not a `String` (a `CommaDelimitedList`), by name.
    parameter_types: dict[str, str] = field(default_factory=dict)


def template_for(case: Case) -> str:
    body = "\n".join(f"      {line}" for line in case.properties.strip("\n").splitlines())
    parameters = "".join(
        f"  {name}:\n    Type: {case.parameter_types.get(name, 'String')}\n    Default: {json.dumps(default)}\n"
        for name, default in case.parameters.items()
    )
    return (
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Transform: Buildkite-Agents-2020-03-09\n"
        + (f"Parameters:\n{parameters}" if parameters else "")
        + "Resources:\n"
        "  Agent:\n"
        "    Type: Buildkite::ECS::TaskDefinition\n"
        "    Properties:\n"
        + ("" if re.search(r"^Image:", case.properties, re.MULTILINE) else "      Image: buildkite/agent:3\n")
        + f"{body}\n"
        + "".join(f"  {line}\n" for line in case.resources.strip("\n").splitlines())
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
    shared_elsewhere = f"arn:aws:secretsmanager:{OTHER_REGION}:{OTHER_ACCOUNT}:secret:shared/database-Qw3Er5"
    registry_elsewhere = f"arn:aws:secretsmanager:{OTHER_REGION}:{OTHER_ACCOUNT}:secret:shared/registry-Zx9Yw8"
    backup, backup_decoy = secret("ci/db-backup"), secret("ci/db-backups")
    registry, registry_decoy = secret("ci/registry-imported"), secret("ci/registry-imported-old")
    git_credentials_path = put("/ci/git-credentials")

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

    def image_case(name: str, parameters: dict[str, str], exports: dict[str, str], properties: str,
                   repositories: list[str]) -> Case:
        return Case(
            name,
            {"ci-token": "/buildkite-agent/token", **exports},
            "BuildkiteAgentTokenParameterPath: !ImportValue ci-token\n" + properties,
            Expected(parameters=[token_path], keys=[here_key], services=[here_ssm], repositories=repositories),
            parameters,
        )

    def repository(region: str, account: str, name: str) -> str:
        return f"arn:aws:ecr:{region}:{account}:repository/{name}"

    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"

    def signing_case(name: str, parameters: dict[str, str], exports: dict[str, str], properties: str,
                     signing: tuple[list[str], list[str], str]) -> Case:
        case = image_case(name, parameters, exports, properties, [])
        case.expected.signing = signing
        return case

    signing_cases = [
        signing_case(
            "signing key as a !Ref parameter holding an alias ARN of another region and account",
            {"SigningKey": f"arn:aws:kms:{OTHER_REGION}:{OTHER_ACCOUNT}:alias/ci-signing"},
            {},
            "PipelineSigningKmsKey: !Ref SigningKey",
            ([f"arn:aws:kms:{OTHER_REGION}:{OTHER_ACCOUNT}:key/*"], ["alias/ci-signing"],
             f"arn:aws:kms:{OTHER_REGION}:{OTHER_ACCOUNT}:alias/ci-signing"),
        ),
        signing_case(
            "signing key as a !Sub alias ARN of imported region, account and name",
            {},
            {"ci-key-region": OTHER_REGION, "ci-key-account": OTHER_ACCOUNT, "ci-key-alias": "ci-signing"},
            """PipelineSigningKmsKey: !Sub
  - arn:${AWS::Partition}:kms:${Region}:${Account}:alias/${Name}
  - Region: !ImportValue ci-key-region
    Account: !ImportValue ci-key-account
    Name: !ImportValue ci-key-alias""",
            ([f"arn:aws:kms:{OTHER_REGION}:{OTHER_ACCOUNT}:key/*"], ["alias/ci-signing"],
             f"arn:aws:kms:{OTHER_REGION}:{OTHER_ACCOUNT}:alias/ci-signing"),
        ),
        signing_case(
            "signing key as a !Ref parameter holding a key ID",
            {"SigningKey": key_id},
            {},
            "PipelineSigningKmsKey: !Ref SigningKey",
            ([f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"], [], key_id),
        ),
    ]

    artifact_case = image_case(
        "artifacts bucket imported, with a prefix",
        {},
        {"ci-bucket": "ci-artifacts-imported"},
        """ArtifactsBucket: !ImportValue ci-bucket
ArtifactsPrefix: ruby/main""",
        [],
    )
    env_file_case = image_case(
        "environment file in an imported bucket",
        {},
        {"ci-config-bucket": "ci-config-imported"},
        """EnvironmentFiles:
  - !Sub
    - arn:${AWS::Partition}:s3:::${Bucket}/rails/ci.env
    - Bucket: !ImportValue ci-config-bucket""",
        [],
    )
    env_file_case.expected.environment_files = (["arn:aws:s3:::ci-config-imported/rails/ci.env"],
                                                ["arn:aws:s3:::ci-config-imported"])
    # Exact only at deploy: a whole object ARN imported (ECS takes nothing else there), and one
    # written as a !Join (as AWS CDK writes) over an imported bucket.
    imported_env_file_case = image_case(
        "environment files as an imported ARN and as a !Join of an imported bucket",
        {},
        {"ci-team-EnvFileArn": "arn:aws:s3:::ci-team-imported/team/ci.env", "ci-config-bucket": "ci-config-imported"},
        """EnvironmentFiles:
  - !ImportValue ci-team-EnvFileArn
  - !Join ["", ["arn:", !Ref AWS::Partition, ":s3:::", !ImportValue ci-config-bucket, "/rails/ci.env"]]""",
        [],
    )
    imported_env_file_case.expected.environment_files = (
        ["arn:aws:s3:::ci-team-imported/team/ci.env", "arn:aws:s3:::ci-config-imported/rails/ci.env"],
        ["arn:aws:s3:::ci-team-imported", "arn:aws:s3:::ci-config-imported"])
    # A list parameter's items, each checked and granted by the macro as `Fn::Select` of the
    # `Ref`: what CloudFormation computes from them is what was checked and granted.
    list_parameter_case = image_case(
        "environment files and agent tags from CommaDelimitedList parameters",
        {"EnvFiles": "arn:aws:s3:::ci-config-list/rails/ci.env,arn:aws:s3:::ci-team-list/team/ci.env",
         "Tags": "os=linux,size=large"},
        {},
        """EnvironmentFiles: !Ref EnvFiles
AgentTags: !Ref Tags""",
        [],
    )
    list_parameter_case.parameter_types = {"EnvFiles": "CommaDelimitedList", "Tags": "CommaDelimitedList"}
    list_parameter_case.expected.environment_files = (
        ["arn:aws:s3:::ci-config-list/rails/ci.env", "arn:aws:s3:::ci-team-list/team/ci.env"],
        ["arn:aws:s3:::ci-config-list", "arn:aws:s3:::ci-team-list"])
    list_parameter_case.expected.agent_environment = {"BUILDKITE_AGENT_TAGS": "os=linux,size=large"}
    artifact_case.expected.artifacts = ("ci-artifacts-imported", "ruby/main", "s3://ci-artifacts-imported/ruby/main")

    mirrors_case = image_case(
        "git mirrors on an imported file system, through an imported access point",
        {},
        {"ci-mirrors-fs": "fs-0123456789abcdef0", "ci-mirrors-ap": "fsap-0fedcba9876543210"},
        """GitMirrorsFileSystemId: !ImportValue ci-mirrors-fs
GitMirrorsAccessPointId: !ImportValue ci-mirrors-ap
GitMirrorsLockTimeout: 600""",
        [],
    )
    mirrors_case.expected.task_policies["MountFileSystems"] = {(
        ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"),
        f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-0123456789abcdef0",
        json.dumps({"ArnEquals": {"elasticfilesystem:AccessPointArn":
                                  f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/fsap-0fedcba9876543210"}},
                   sort_keys=True),
    )}
    mirrors_case.expected.agent_environment = {"BUILDKITE_GIT_MIRRORS_PATH": "/buildkite-git-mirrors",
                                               "BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT": "600"}

    hooks_case = image_case(
        "hooks in an imported bucket, under a prefix",
        {},
        {"ci-hooks-bucket": "ci-hooks-imported"},
        """HooksBucket: !ImportValue ci-hooks-bucket
HooksPrefix: rails/main""",
        [],
    )
    hooks_case.expected.task_policies["ReadHooks"] = {
        (("s3:GetObject",), "arn:aws:s3:::ci-hooks-imported/rails/main/*", "{}"),
        (("s3:ListBucket",), "arn:aws:s3:::ci-hooks-imported",
         json.dumps({"StringLike": {"s3:prefix": "rails/main/*"}}, sort_keys=True)),
    }
    hooks_case.expected.agent_environment = {"BUILDKITE_HOOKS_PATH": "/buildkite-hooks"}
    hooks_case.expected.container_environment = {
        "hooks-init": {"HOOKS_SOURCE": "s3://ci-hooks-imported/rails/main/"}}

    image_cases = [
        image_case(
            "ECR images as !Ref parameters, by tag and by digest",
            {"AgentImage": f"{OTHER_ACCOUNT}.dkr.ecr.{OTHER_REGION}.{URL_SUFFIX}/ci/ruby:3.3",
             "SidecarImage": f"{ACCOUNT}.dkr.ecr.{REGION}.{URL_SUFFIX}/buildkite/agent-sidecar@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
            {},
            """Image: !Ref AgentImage
BuildkiteAgentImage: !Ref SidecarImage""",
            [repository(OTHER_REGION, OTHER_ACCOUNT, "ci/ruby"), repository(REGION, ACCOUNT, "buildkite/agent-sidecar")],
        ),
        image_case(
            "ECR image as a !Sub of imported account and repository",
            {},
            {"ci-account": OTHER_ACCOUNT, "ci-repository": "ci/node"},
            """Image: !Sub
  - ${Account}.dkr.ecr.eu-west-1.${AWS::URLSuffix}/${Repository}:22
  - Account: !ImportValue ci-account
    Repository: !ImportValue ci-repository""",
            [repository(OTHER_REGION, OTHER_ACCOUNT, "ci/node")],
        ),
        image_case(
            "ECR image as a !Sub whose imported variable holds the repository and tag",
            {},
            {"ci-go": "ci/go:1.23"},
            """Image: !Sub
  - ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${RepositoryAndTag}
  - RepositoryAndTag: !ImportValue ci-go
Services:
  - Name: redis
    Image: redis:7""",
            [repository(REGION, ACCOUNT, "ci/go")],
        ),
        image_case(
            "ECR dual-stack and FIPS-with-port images as !Ref parameters",
            {"AgentImage": f"{OTHER_ACCOUNT}.dkr-ecr.{OTHER_REGION}.on.aws/ci/builder:1.4",
             "SidecarImage": f"{ACCOUNT}.dkr.ecr-fips.{REGION}.{URL_SUFFIX}:443/buildkite/agent-sidecar:3"},
            {},
            """Image: !Ref AgentImage
BuildkiteAgentImage: !Ref SidecarImage""",
            [repository(OTHER_REGION, OTHER_ACCOUNT, "ci/builder"), repository(REGION, ACCOUNT, "buildkite/agent-sidecar")],
        ),
        image_case(
            "ECR dual-stack FIPS image as a !Sub whose imported variable holds the repository and tag",
            {},
            {"ci-dual-stack-account": OTHER_ACCOUNT, "ci-builder": "ci/builder:1.4"},
            """Image: !Sub
  - ${Account}.dkr-ecr-fips.eu-west-1.on.aws/${RepositoryAndTag}
  - Account: !ImportValue ci-dual-stack-account
    RepositoryAndTag: !ImportValue ci-builder""",
            [repository(OTHER_REGION, OTHER_ACCOUNT, "ci/builder")],
        ),
        image_case(
            "ECR image as a !Join of an imported account (as AWS CDK writes), granted as its !Sub twin",
            {},
            {"ci-account": OTHER_ACCOUNT},
            """Image: !Join ["", [!ImportValue ci-account, ".dkr.ecr.eu-west-1.", !Ref AWS::URLSuffix, "/ci/node:22"]]""",
            [repository(OTHER_REGION, OTHER_ACCOUNT, "ci/node")],
        ),
        image_case("Docker Hub images only", {}, {}, "Image: ruby:3.3", []),
    ]

    def ssh_case(name: str, backend: str) -> Case:
        case = image_case(name, {"SshBackend": backend}, {}, "SshAgentBackend: !Ref SshBackend", [])
        case.expected.ssh_backend = (f"arn:aws:execute-api:{OTHER_REGION}:{ACCOUNT}:a1b2c3d4e5/prod/*/*",
                                     f"https://a1b2c3d4e5.execute-api.{OTHER_REGION}.{URL_SUFFIX}/prod")
        return case

    # The invoke URL (with the trailing slash a console copy has) and the ARN of one stage
    # reach the same grant and URL; the URL's stage is granted in the stack's own account.
    ssh_cases = [
        ssh_case("ssh backend as a !Ref parameter holding the stage's invoke URL",
                 f"https://a1b2c3d4e5.execute-api.{OTHER_REGION}.{URL_SUFFIX}/prod/"),
        ssh_case("ssh backend as a !Ref parameter holding the stage's ARN",
                 f"arn:aws:execute-api:{OTHER_REGION}:{ACCOUNT}:a1b2c3d4e5/prod"),
    ]

    def deployed_case(name: str, defaults: dict[str, str], deployed: dict[str, str], properties: str,
                      exports: dict[str, str] | None = None) -> Case:
        case = image_case(name, defaults, exports or {}, properties, [])
        case.deployed = deployed
        return case

    # The agent's settings from parameters, the stack created with other values than the macro saw
    # (a template pre-rendered by expand, or a value changed): the variables follow the deploy.
    tags_case = deployed_case(
        "agent queue, tags and a flag from parameters (deployed with other values) and an import",
        {"Queue": "linux", "OsTag": "os=linux", "OneJob": "true"},
        {"Queue": "arm-builds", "OsTag": "os=bookworm", "OneJob": "false"},
        "AgentQueue: !Ref Queue\nAgentTags:\n  - !Ref OsTag\n  - size=small\n  - !ImportValue ci-agent-arch\n"
        "AgentDisconnectAfterJob: !Ref OneJob", {"ci-agent-arch": "arch=arm64"})
    tags_case.expected.agent_environment = {"BUILDKITE_AGENT_TAGS": "queue=arm-builds,os=bookworm,size=small,arch=arm64",
                                            "BUILDKITE_AGENT_DISCONNECT_AFTER_JOB": "false"}

    def grace(cancel: int, signal: int) -> dict[str, str]:
        return {"BUILDKITE_CANCEL_GRACE_PERIOD": str(cancel), "BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS": str(signal),
                "BUILDKITE_CANCEL_SIGNAL_TIMEOUT": f"{signal}s", "BUILDKITE_CANCEL_CLEANUP_TIMEOUT": f"{cancel - signal}s"}

    stop_cases = []
    for stop, signal in [(40, 35), (8, 4)]:
        case = deployed_case(f"grace periods from a StopTimeout parameter of 90, deployed as {stop}",
                             {"StopSeconds": "90"}, {"StopSeconds": str(stop)}, "StopTimeout: !Ref StopSeconds")
        case.expected.agent_environment = grace(stop, signal)
        stop_cases.append(case)
    signal_within_60 = "StopTimeout: 60\nAgentCancelGracePeriod: 60\nAgentSignalGracePeriodSeconds: !Ref SignalSeconds"
    signal_case = deployed_case("signal grace period from a parameter of 50 within 60, deployed as 45",
                                {"SignalSeconds": "50"}, {"SignalSeconds": "45"}, signal_within_60)
    signal_case.expected.agent_environment = grace(60, 45)
    signal_too_long = deployed_case("signal grace period from a parameter of 50 within 60, deployed as 60",
                                    {"SignalSeconds": "50"}, {"SignalSeconds": "60"}, signal_within_60)
    signal_too_long.expected.deploy_fails = "agent 4's cleanup timeout has no entry for a signal grace period of 60 s"
    log_case = deployed_case(
        "log buffer and mode from parameters, deployed with other values",
        {"LogBuffer": "25m", "LogMode": "non-blocking"}, {"LogBuffer": "8m"},
        "BuildkiteAgentImage: buildkite/agent:3-sidecar\nLogDriverMode: !Ref LogMode\nLogMaxBufferSize: !Ref LogBuffer")
    log_case.expected.log_options = {"mode": "non-blocking", "max-buffer-size": "8m"}
    imported_log_case = deployed_case("log buffer imported", {}, {}, "LogMaxBufferSize: !ImportValue ci-log-buffer",
                                      {"ci-log-buffer": "4m"})
    imported_log_case.expected.log_options = {"mode": "non-blocking", "max-buffer-size": "4m"}
    skip_update_case = deployed_case(
        "git mirrors' skip-update from a parameter of true, deployed as false",
        {"SkipUpdate": "true"}, {"SkipUpdate": "false"},
        "GitMirrorsFileSystemId: fs-0123456789abcdef0\nGitMirrorsSkipUpdate: !Ref SkipUpdate")
    skip_update_case.expected.agent_environment = {"BUILDKITE_GIT_MIRRORS_PATH": "/buildkite-git-mirrors",
                                                   "BUILDKITE_GIT_MIRRORS_SKIP_UPDATE": "false"}
    agent_cases = [tags_case, *stop_cases, signal_case, signal_too_long, log_case, imported_log_case,
                   skip_update_case]

    return agent_cases + image_cases + signing_cases + ssh_cases + [
        artifact_case, env_file_case, imported_env_file_case, list_parameter_case, mirrors_case, hooks_case] + [
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
        Case(
            "git credentials: an SSM path by !Sub of an import, an SSH key secret of the template",
            {"ci-token": "/buildkite-agent/token", "ci-git-credentials-path": "/ci/git-credentials"},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
GitCredentialsSecret: !Sub
  - arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Path}
  - Path: !ImportValue ci-git-credentials-path
GitSshKeySecret: !Ref DeployKey""",
            Expected(parameters=[token_path, git_credentials_path], stack_secrets=["ci/git-deploy-key-of-the-stack"],
                     not_secrets=decoys, keys=[here_key], services=[here_ssm, here_secrets],
                     container_secrets={"git-credentials-init": {"GIT_CREDENTIALS": git_credentials_path}},
                     agent_environment={"GIT_CONFIG_KEY_0": "credential.helper", "SSH_AUTH_SOCK": "/ssh/socket"}),
            resources="""DeployKey:
  Type: AWS::SecretsManager::Secret
  Properties:
    Name: ci/git-deploy-key-of-the-stack""",
        ),
        Case(
            "a secret of the template by !GetAtt Id and by !Ref",
            {"ci-token": "/buildkite-agent/token"},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Secrets:
  - Name: DEPLOY_KEY
    ValueFrom: !GetAtt DeployKey.Id
  - Name: DEPLOY_KEY_AGAIN
    ValueFrom: !Ref DeployKey""",
            Expected(parameters=[token_path], stack_secrets=["ci/deploy-key-of-the-stack"], not_secrets=decoys,
                     keys=[here_key], services=[here_ssm, here_secrets]),
            resources="""DeployKey:
  Type: AWS::SecretsManager::Secret
  Properties:
    Name: ci/deploy-key-of-the-stack""",
        ),
        Case(
            "secret and registry credential ARNs held by !Ref parameters, of another region and account",
            {"ci-token": "/buildkite-agent/token"},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Image: registry.example.com/ci/app:1
RepositoryCredentials: !Ref RegistrySecretArn
Secrets:
  - Name: SHARED_DATABASE_URL
    ValueFrom: !Ref SharedSecretArn""",
            Expected(parameters=[token_path], secrets=[shared_elsewhere, registry_elsewhere],
                     not_secrets=[shared_elsewhere.replace(OTHER_REGION, REGION),
                                  registry_elsewhere.replace(OTHER_ACCOUNT, ACCOUNT)],
                     keys=[here_key, kms_key(OTHER_REGION, OTHER_ACCOUNT)],
                     services=[here_ssm, f"secretsmanager.{OTHER_REGION}.{URL_SUFFIX}"]),
            {"SharedSecretArn": shared_elsewhere, "RegistrySecretArn": registry_elsewhere.rsplit("-", 1)[0]},
        ),
        *[Case(
            f"registry credentials imported as {form}",
            {"ci-token": "/buildkite-agent/token", "ci-registry": exported},
            """BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Image: registry.example.com/ci/app:1
RepositoryCredentials: !ImportValue ci-registry""",
            Expected(parameters=[token_path], secrets=[registry], not_secrets=[registry_decoy],
                     keys=[here_key], services=[here_ssm, here_secrets]),
        ) for form, exported in [("the secret's name", "ci/registry-imported"), ("its ARN", registry)]],
        Case(
            "a partial ARN whose name ends in a six-letter word",
            {"ci-token": "/buildkite-agent/token"},
            f"""BuildkiteAgentTokenParameterPath: !ImportValue ci-token
Secrets:
  - Name: BACKUP_KEY
    ValueFrom: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ci/db-backup""",
            Expected(parameters=[token_path], secrets=[backup], not_secrets=[backup_decoy],
                     keys=[here_key], services=[here_ssm, here_secrets]),
        ),
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


def prove_role_names(macro: Path, cloudformation, iam) -> list[Outcome]:
    """`X.TaskRoleName` for a policy attached by name (AWS CDK's `iam.Role.fromRoleName`): in
    examples/attributes-and-references.yaml an `AWS::IAM::Policy` names `Python.TaskRoleName`, and
    must land on the generated task role, which has a path; and with `TaskRoleArn: !GetAtt
    Mine.Arn` of a role with a path, `TaskRoleName` must name that role (the ARN's segment after
    `role/` is its path, which CDK's `fromRoleArn` takes for the name)."""
    outcomes = []
    own_role = {
        "Transform": "Buildkite-Agents-2020-03-09",
        "Resources": {
            "Mine": {"Type": "AWS::IAM::Role", "Properties": {
                "Path": "/ci/agents/",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]}}},
            "Shared": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {
                "Image": "buildkite/agent:3", "TaskRoleArn": {"Fn::GetAtt": ["Mine", "Arn"]}}},
            "ReadArtifacts": {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": "ReadArtifacts", "Roles": [{"Fn::GetAtt": ["Shared", "TaskRoleName"]}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ci/*"}]}}},
        },
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(own_role, file)
    try:
        cases = [
            ("TaskRoleName of the generated role", EXAMPLES / "attributes-and-references.yaml", "PythonTaskRole",
             "/BuildkiteAgentTask/"),
            ("TaskRoleName of a role given by !GetAtt Mine.Arn", Path(file.name), "Mine", "/ci/agents/"),
        ]
        for number, (name, path, role_id, role_path) in enumerate(cases):
            expanded = expand_file(macro, path, {})
            stack = cloudformation.create_stack(StackName=f"role-names-{number}", TemplateBody=json.dumps(expanded))
            status = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
            if status["StackStatus"] != "CREATE_COMPLETE":
                raise CannotRun(f"{name}: the stack is {status['StackStatus']}")
            resources = cloudformation.describe_stack_resources(StackName=stack["StackId"])["StackResources"]
            physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if "LogicalResourceId" in r}
            role = iam.get_role(RoleName=physical[role_id])["Role"]
            failures = []
            if role["Path"] != role_path:
                failures.append(f"{role_id} has path {role['Path']}, not {role_path}")
            attached = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
            if "ReadArtifacts" not in attached:
                failures.append(f"ReadArtifacts is not on {role['RoleName']} (it has {attached})")
            outcomes.append(Outcome(name, {"role": [role["Arn"]], "policies": attached}, failures))
            cloudformation.delete_stack(StackName=stack["StackId"])
    finally:
        os.unlink(file.name)
    return outcomes


@dataclass
class Outcome:
    case: str
    granted: dict
    failures: list[str]


PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]


def check(case: Case, stack_id: str, cloudformation, iam, ecs, logs) -> Outcome:
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
    # The stack's own secrets, named by their ARNs (a case names no other secret).
    stack_arns = [arn for arn in case.expected.stack_secrets if arn.startswith("arn:")]
    if case.expected.stack_secrets and sorted(set(patterns)) != sorted(set(stack_arns)):
        failures.append(f"secretsmanager:GetSecretValue on {patterns}, not exactly the stack's {stack_arns}")
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
    # The images: exactly the repositories named (no policy at all without one), and the
    # registry login only then; the logs: exactly the stack's own log group, as moto names it.
    role = physical["AgentExecutionRole"]
    policy_names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    pulled, logs_in = [], False
    if "PullImages" in policy_names:
        pull = policy_document(iam.get_role_policy(RoleName=role, PolicyName="PullImages")["PolicyDocument"])
        for statement in as_list(pull["Statement"]):
            actions = sorted(as_list(statement["Action"]))
            if actions == sorted(PULL_ACTIONS):
                pulled += as_list(statement["Resource"])
            elif actions == ["ecr:GetAuthorizationToken"] and statement["Resource"] == "*":
                logs_in = True
            else:
                failures.append(f"PullImages allows {actions} on {statement['Resource']}")
    if sorted(pulled) != sorted(case.expected.repositories):
        failures.append(f"pulls from {pulled}, not exactly {case.expected.repositories}")
    if logs_in != bool(case.expected.repositories):
        failures.append(f"ecr:GetAuthorizationToken {'granted' if logs_in else 'missing'} with "
                        f"{len(case.expected.repositories)} repositories to pull from")
    log_group = logs.describe_log_groups(logGroupNamePrefix="/aws/ecs/agent")["logGroups"][0]
    # CloudFormation's `GetAtt LogGroup.Arn` ends in `:*` (which also covers the group's
    # streams); moto's has no `:*`: either is the one group, and nothing else is.
    log_group_arn = log_group["arn"].removesuffix(":*")
    written = policy_document(iam.get_role_policy(RoleName=role, PolicyName="WriteLogs")["PolicyDocument"])
    log_statements = as_list(written["Statement"])
    log_resources = [r for statement in log_statements for r in as_list(statement["Resource"])]
    log_actions = sorted(a for statement in log_statements for a in as_list(statement["Action"]))
    if [r.removesuffix(":*") for r in log_resources] != [log_group_arn] or log_actions != ["logs:CreateLogStream", "logs:PutLogEvents"]:
        failures.append(f"writes logs with {log_actions} to {log_resources}, not to exactly {log_group_arn}")
    files_read = []
    if case.expected.environment_files is not None:
        objects_expected, buckets_expected = case.expected.environment_files
        document = policy_document(iam.get_role_policy(RoleName=role, PolicyName="ReadEnvironmentFiles")["PolicyDocument"])
        by_action_files: dict[str, list] = {}
        for statement in as_list(document["Statement"]):
            for action in as_list(statement["Action"]):
                by_action_files.setdefault(action, []).extend(as_list(statement["Resource"]))
        files_read = by_action_files.get("s3:GetObject", [])
        if by_action_files != {"s3:GetObject": objects_expected, "s3:GetBucketLocation": buckets_expected}:
            failures.append(f"ReadEnvironmentFiles is {by_action_files}, not exactly GetObject on {objects_expected} "
                            f"and GetBucketLocation on {buckets_expected}")
    expected_policies = ["ReadAgentSecrets", "WriteLogs"] + (["PullImages"] if pulled else []) \
        + (["ReadEnvironmentFiles"] if case.expected.environment_files is not None else [])
    if sorted(policy_names) != sorted(expected_policies):
        failures.append(f"the execution role's policies are {policy_names}")
    # The signing key: exactly the key (or the keys of exactly the alias) on the task role,
    # the two actions the agent calls, and the agent told the key as written.
    task_role = physical["AgentTaskRole"]
    task_policies = iam.list_role_policies(RoleName=task_role)["PolicyNames"]
    signed = []
    if case.expected.signing is None:
        if "SignPipelines" in task_policies:
            failures.append("SignPipelines where no signing key is named")
    else:
        keys_expected, aliases_expected, agent_value = case.expected.signing
        sign = policy_document(iam.get_role_policy(RoleName=task_role, PolicyName="SignPipelines")["PolicyDocument"])
        aliases = []
        for statement in as_list(sign["Statement"]):
            if sorted(as_list(statement["Action"])) != sorted(["kms:Sign", "kms:GetPublicKey"]):
                failures.append(f"SignPipelines allows {statement['Action']}")
            signed += as_list(statement["Resource"])
            for operator, conditions in (statement.get("Condition") or {}).items():
                if operator != "ForAnyValue:StringEquals":
                    failures.append(f"SignPipelines under {operator}")
                aliases += as_list(conditions.get("kms:ResourceAliases", []))
        if sorted(signed) != sorted(keys_expected) or sorted(aliases) != sorted(aliases_expected):
            failures.append(f"signs with {signed} held to aliases {aliases}, not exactly {keys_expected} "
                            f"held to {aliases_expected}")
        environment = {e["name"]: e["value"] for e in agent.get("environment", [])}
        if environment.get("BUILDKITE_AGENT_SIGNING_AWS_KMS_KEY") != agent_value:
            failures.append(f"the agent is given the key {environment.get('BUILDKITE_AGENT_SIGNING_AWS_KMS_KEY')}, "
                            f"not {agent_value}")
    # The ssh backend: exactly its stage's methods and paths, and the container told its URL.
    invoked = []
    if case.expected.ssh_backend is None:
        if "InvokeSshAgentBackend" in task_policies:
            failures.append("InvokeSshAgentBackend where no ssh backend is named")
    else:
        stage_expected, url_expected = case.expected.ssh_backend
        document = policy_document(
            iam.get_role_policy(RoleName=task_role, PolicyName="InvokeSshAgentBackend")["PolicyDocument"])
        for statement in as_list(document["Statement"]):
            if as_list(statement["Action"]) != ["execute-api:Invoke"] or statement.get("Condition"):
                failures.append(f"InvokeSshAgentBackend allows {statement['Action']} under {statement.get('Condition')}")
            invoked += as_list(statement["Resource"])
        if invoked != [stage_expected]:
            failures.append(f"invokes {invoked}, not exactly {stage_expected}")
        ssh_agent = next((c for c in task_definition["containerDefinitions"] if c["name"] == "ssh-agent"), {})
        environment = {e["name"]: e["value"] for e in ssh_agent.get("environment", [])}
        if environment.get("IAM_SSH_AGENT_BACKEND_URL") != url_expected:
            failures.append(f"the ssh agent is given {environment.get('IAM_SSH_AGENT_BACKEND_URL')}, "
                            f"not {url_expected}")
    # The artifacts: exactly the objects under the prefix, listing under it or of no keys, and
    # the agent told the destination.
    listed = []
    if case.expected.artifacts is None:
        if "ReadAndWriteArtifacts" in task_policies:
            failures.append("ReadAndWriteArtifacts where no bucket is named")
    else:
        bucket, prefix, destination = case.expected.artifacts
        objects = f"arn:aws:s3:::{bucket}/{prefix}/*" if prefix else f"arn:aws:s3:::{bucket}/*"
        want = {
            (("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"), objects, "{}"),
            (("s3:PutObjectAcl",), objects,
             json.dumps({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}, sort_keys=True)),
            (("s3:ListBucket",), f"arn:aws:s3:::{bucket}",
             json.dumps({"StringLike": {"s3:prefix": f"{prefix}/*"}}, sort_keys=True) if prefix else "{}"),
        }
        if prefix:
            want.add((("s3:ListBucket",), f"arn:aws:s3:::{bucket}",
                      json.dumps({"NumericEquals": {"s3:max-keys": "0"}}, sort_keys=True)))
        document = policy_document(iam.get_role_policy(RoleName=task_role, PolicyName="ReadAndWriteArtifacts")["PolicyDocument"])
        got = set()
        for statement in as_list(document["Statement"]):
            for resource in as_list(statement["Resource"]):
                got.add((tuple(sorted(as_list(statement["Action"]))), resource,
                         json.dumps(statement.get("Condition") or {}, sort_keys=True)))
                listed.append(resource)
        if got != want:
            failures.append(f"ReadAndWriteArtifacts is {sorted(got)}, not exactly {sorted(want)}")
        environment = {e["name"]: e["value"] for e in agent.get("environment", [])}
        if environment.get("BUILDKITE_ARTIFACT_UPLOAD_DESTINATION") != destination:
            failures.append(f"the agent uploads to {environment.get('BUILDKITE_ARTIFACT_UPLOAD_DESTINATION')}, not {destination}")
    # Other task role policies: exactly the statements expected; and the agent's variables.
    for policy_name, want in case.expected.task_policies.items():
        if policy_name not in task_policies:
            failures.append(f"the task role has no {policy_name}")
            continue
        document = policy_document(iam.get_role_policy(RoleName=task_role, PolicyName=policy_name)["PolicyDocument"])
        got = set()
        for statement in as_list(document["Statement"]):
            for resource in as_list(statement["Resource"]):
                got.add((tuple(sorted(as_list(statement["Action"]))), resource,
                         json.dumps(statement.get("Condition") or {}, sort_keys=True)))
                listed.append(resource)
        if got != want:
            failures.append(f"{policy_name} is {sorted(got)}, not exactly {sorted(want)}")
    agent_environment = {e["name"]: e["value"] for e in agent.get("environment", [])}
    for variable, value in case.expected.agent_environment.items():
        if agent_environment.get(variable) != value:
            failures.append(f"the agent's {variable} is {agent_environment.get(variable)}, not {value}")
    for container_name, variables in case.expected.container_secrets.items():
        container = next((c for c in task_definition["containerDefinitions"] if c["name"] == container_name), {})
        given = {e["name"]: e["valueFrom"] for e in container.get("secrets", [])}
        if given != variables:
            failures.append(f"{container_name}'s secrets are {given}, not {variables}")
    for container in task_definition["containerDefinitions"] if case.expected.log_options else []:
        options = container.get("logConfiguration", {}).get("options", {})
        for option, value in case.expected.log_options.items():
            if options.get(option) != value:
                failures.append(f"{container['name']} logs with {option} {options.get(option)}, not {value}")
    for container_name, variables in case.expected.container_environment.items():
        container = next((c for c in task_definition["containerDefinitions"] if c["name"] == container_name), {})
        environment = {e["name"]: e["value"] for e in container.get("environment", [])}
        for variable, value in variables.items():
            if environment.get(variable) != value:
                failures.append(f"{container_name}'s {variable} is {environment.get(variable)}, not {value}")
    granted = {"ssm": parameters, "secretsmanager": patterns, "kms": keys, "via": services,
               "ecr": pulled, "logs": log_resources, "sign": signed, "s3": sorted(set(listed)),
               "execute-api": invoked,
               "agent": [f"{name}={agent_environment.get(name)}" for name in case.expected.agent_environment],
               "log options": [f"{option}={value}" for option, value in case.expected.log_options.items()]}
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
            logs = boto3.client("logs", region_name=REGION)
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
                # A list parameter is given as well as defaulted: moto 5.2.5 splits a list
                # parameter's given value into its items, but keeps a `Default` as one string
                # (moto's `load_parameters`). Then the values deployed where they differ.
                given = {name: case.parameters[name] for name in case.parameter_types}
                given.update(case.deployed)
                deployed = [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]
                try:
                    stack = cloudformation.create_stack(StackName=f"agents-{number}", TemplateBody=json.dumps(expanded),
                                                        Parameters=deployed)
                    status = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"]
                except (IndexError, cloudformation.exceptions.ClientError) as error:
                    if case.expected.deploy_fails is None:
                        raise
                    status = f"not created ({type(error).__name__}: {error})"
                if case.expected.deploy_fails is not None:
                    created = status == "CREATE_COMPLETE"
                    outcomes.append(Outcome(case.name, {"deploy": [status]},
                                            [f"the stack is {status}, but {case.expected.deploy_fails}"] if created else []))
                    # What a failed create left behind goes, so that the next case starts clean.
                    cloudformation.delete_stack(StackName=f"agents-{number}")
                    for group in logs.describe_log_groups(logGroupNamePrefix="/aws/ecs/")["logGroups"]:
                        logs.delete_log_group(logGroupName=group["logGroupName"])
                    cloudformation.delete_stack(StackName=f"exporter-{number}")
                    continue
                if status != "CREATE_COMPLETE":
                    raise CannotRun(f"{case.name}: the stack is {status}")
                secrets = boto3.client("secretsmanager", region_name=REGION)
                for name in case.expected.stack_secrets[:]:
                    arn = secrets.describe_secret(SecretId=name)["ARN"]
                    case.expected.secrets.append(arn)
                    case.expected.stack_secrets.append(arn)
                outcomes.append(check(case, stack["StackId"], cloudformation, iam, ecs, logs))
                cloudformation.delete_stack(StackName=stack["StackId"])
                cloudformation.delete_stack(StackName=f"exporter-{number}")
            outcomes += prove_conditions(arguments.macro, cloudformation, iam,
                                         boto3.client("secretsmanager", region_name=REGION))
            outcomes += prove_role_names(arguments.macro, cloudformation, iam)
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
