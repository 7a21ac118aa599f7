//! Structured fuzzing of macro requests: valid templates in the examples' shapes, mutated
//! (wrong types, missing and extra keys, intrinsics in odd places, huge strings, control
//! characters, deep nesting, unicode logical IDs, unknown attributes, Globals variants,
//! parameter values), answered by both the library and the Lambda's code path.
//!
//! `cargo test` runs a short run (PROPTEST_CASES, 256 by default); a long run is
//! `PROPTEST_CASES=1000000 cargo test --release --test fuzz_events`.

use std::collections::HashSet;

use buildkite_ecs_macro::shells::macro_io::{MacroStatus, respond_to_event};
use buildkite_ecs_macro::template::sub::{SubPart, sub_parts};
use buildkite_ecs_macro::{ExpansionContext, expand_with_summary};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value, json};

/// Put in parameter values (request and `Default`), never anywhere else: no error
/// message may contain it.
const MARKER: &str = "zqMARKER7f3";
/// A memory size that only a parameter value holds (no literal number and no message text
/// has it), so that an echoed numeric parameter value is caught too.
const NUMERIC_MARKER: &str = "7168";

const BUILDKITE_IDS: [&str; 8] = ["Ruby", "Go", "A1", "Ünïcode", "Agent", "Ruby", "Go", "A1"];
const OTHER_IDS: [&str; 6] = [
    "Bucket",
    "Db",
    "Param",
    "RubyTaskDefinition",
    "Über",
    "Service",
];
const PARAMETERS: [&str; 5] = ["Image", "Cpu", "Memory", "Secret", "Backend"];
const PSEUDO: [&str; 6] = [
    "AWS::Region",
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::StackName",
    "AWS::URLSuffix",
];
const ATTRIBUTES: [&str; 14] = [
    "TaskDefinitionArn",
    "Family",
    "ExecutionRoleArn",
    "TaskRoleArn",
    "ExecutionRoleName",
    "TaskRoleName",
    "LogGroupName",
    "LogGroupArn",
    "RunPolicyArn",
    "Arn",
    "Familly",
    "",
    "Endpoint.Address",
    "Family.Extra",
];
/// Every declared property, in the order the strategies were first written (kept, so that the
/// stored regressions replay the same cases); `every_declared_property_is_fuzzed` holds it equal
/// to the declarations, so a new property cannot be left out.
const PROPERTY_NAMES: [&str; 64] = [
    "Image",
    "BuildkiteAgentImage",
    "SshAgentBackend",
    "SshAgentImage",
    "Secrets",
    "Environment",
    "TaskFamily",
    "TaskCpu",
    "TaskMemory",
    "TaskRoleArn",
    "TaskRolePolicies",
    "TaskRoleManagedPolicyArns",
    "BuildkiteAgentTokenParameterPath",
    "LogRetentionInDays",
    "LogKmsKeyId",
    "CpuArchitecture",
    "EphemeralStorageGiB",
    "PermissionsBoundary",
    "Tags",
    "ExecutionRolePath",
    "TaskRolePath",
    "RepositoryCredentials",
    "Services",
    "Volumes",
    "ExecuteCommand",
    "StopTimeout",
    "AttachTaskExecutionRolePolicy",
    "ExecutionRoleArn",
    "RunPolicy",
    "PipelineSigningKmsKey",
    "ArtifactsBucket",
    "ArtifactsPrefix",
    "SecretsKmsKeyArn",
    "ExecuteCommandKmsKeyArn",
    "ExecuteCommandLogGroup",
    "ExecuteCommandBucket",
    "Ulimits",
    "EnvironmentFiles",
    "GitMirrorsFileSystemId",
    "GitMirrorsAccessPointId",
    "GitMirrorsLockTimeout",
    "GitMirrorsSkipUpdate",
    "HooksBucket",
    "HooksPrefix",
    "HooksImage",
    "HooksImageDirectory",
    "GitCredentialsSecret",
    "GitSshKeySecret",
    "LogDriverMode",
    "LogMaxBufferSize",
    "AgentQueue",
    "AgentTags",
    "AgentTagsFromEcsMetadata",
    "AgentDisconnectAfterJob",
    "AgentDisconnectAfterIdleTimeout",
    "AgentPriority",
    "AgentName",
    "AgentNoCommandEval",
    "AgentNoLocalHooks",
    "AgentNoPlugins",
    "AgentAllowedRepositories",
    "AgentAllowedPlugins",
    "AgentCancelGracePeriod",
    "AgentSignalGracePeriodSeconds",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256)
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&BUILDKITE_IDS[..]),
        2 => select(&OTHER_IDS[..]),
        2 => select(&PARAMETERS[..]),
        2 => select(&PSEUDO[..]),
        1 => select(&["Nope", "", "Ruby.Family", "ruby"][..]),
    ]
    .prop_map(str::to_owned)
}

fn attribute() -> impl Strategy<Value = String> {
    select(&ATTRIBUTES[..]).prop_map(str::to_owned)
}

const PLAUSIBLE_STRINGS: [&str; 34] = [
    "ruby:3.3",
    "",
    "token",
    "/ci/token",
    "/ci//token",
    "arn:aws:ssm:us-east-1:123456789012:parameter/ci/token",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123:password:AWSCURRENT:",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
    "arn:aws:execute-api:us-east-1:123456789012:abc123/prod",
    "arn:aws:iam::123456789012:role/ci/agent",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws-cn:iam::123456789012:role/x",
    "arn:aws:kms:us-east-1:123456789012:key/abc",
    "X86_64",
    "ARM64",
    "1024",
    "2048",
    "30",
    "0",
    "-1",
    "99999999999999999999999",
    "${Ruby.Family}",
    "${Ruby}",
    "${!Ruby}",
    "${",
    "arn:",
    "arn:::::",
    ":::",
    "/",
    "Delete",
    "Retain",
    "BUILDKITE_AGENT_TOKEN",
    "a=b",
];

fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => select(&PLAUSIBLE_STRINGS[..]).prop_map(str::to_owned),
        15 => "\\PC{0,12}",
        10 => "[\\x00-\\x1f\\x7f\u{85}\u{2028}]{1,4}",
        10 => sub_template(),
        4 => (0usize..300).prop_map(|n| "é".repeat(n)),
        1 => (0usize..70_000).prop_map(|n| "x".repeat(n)),
    ]
}

fn sub_template() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[a-z:/-]{0,6}",
        name().prop_map(|n| format!("${{{n}}}")),
        (name(), attribute()).prop_map(|(n, a)| format!("${{{n}.{a}}}")),
        name().prop_map(|n| format!("${{!{n}}}")),
        Just("${".to_owned()),
        Just("}".to_owned()),
    ];
    prop::collection::vec(part, 0..5).prop_map(|parts| parts.concat())
}

fn odd_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => select(&[256u64, 512, 1024, 2048, 4096, 8192, 16384, 3072, 30, 14, 21, 200, 201, 0, 300][..])
            .prop_map(Value::from),
        1 => any::<i64>()
            .prop_filter("the numeric marker is for parameters only", |n| !n.to_string().contains(NUMERIC_MARKER))
            .prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => (-1.0e6f64..1.0e6)
            .prop_filter("the numeric marker is for parameters only", |f| !f.to_string().contains(NUMERIC_MARKER))
            .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => odd_string().prop_map(Value::String),
        2 => odd_number(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
    .boxed()
}

fn object_of(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect())
}

fn one(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// Intrinsic functions, well and badly formed, around `inner` values.
fn intrinsic(inner: impl Strategy<Value = Value> + Clone + 'static) -> BoxedStrategy<Value> {
    prop_oneof![
        4 => name().prop_map(|n| json!({"Ref": n})),
        1 => inner.clone().prop_map(|v| one("Ref", v)),
        3 => (name(), attribute()).prop_map(|(n, a)| json!({"Fn::GetAtt": [n, a]})),
        2 => (name(), attribute()).prop_map(|(n, a)| json!({"Fn::GetAtt": format!("{n}.{a}")})),
        1 => (name(), inner.clone()).prop_map(|(n, v)| json!({"Fn::GetAtt": [n, v]})),
        1 => name().prop_map(|n| json!({"Fn::GetAtt": [n]})),
        1 => (name(), attribute()).prop_map(|(n, a)| json!({"Fn::GetAtt": [n, a, "extra"]})),
        3 => sub_template().prop_map(|s| json!({"Fn::Sub": s})),
        2 => (sub_template(), prop::collection::vec((name(), inner.clone()), 0..3))
            .prop_map(|(s, vars)| json!({"Fn::Sub": [s, object_of(vars)]})),
        1 => sub_template().prop_map(|s| json!({"Fn::Sub": [s]})),
        1 => inner.clone().prop_map(|v| one("Fn::Sub", v)),
        2 => (inner.clone(), inner.clone(), inner.clone())
            .prop_map(|(c, a, b)| json!({"Fn::If": [c, a, b]})),
        2 => (odd_string(), prop::collection::vec(inner.clone(), 0..3))
            .prop_map(|(sep, items)| json!({"Fn::Join": [sep, items]})),
        1 => inner.clone().prop_map(|v| json!({"Fn::Select": [0, {"Fn::Split": [":", v]}]})),
        1 => inner.clone().prop_map(|v| one("Fn::ImportValue", v)),
        1 => inner.clone().prop_map(|v| one("Fn::Base64", v)),
        1 => inner.clone().prop_map(|v| json!({"Fn::FindInMap": ["Map", v, "Key"]})),
        1 => name().prop_map(|n| json!({"Ref": n, "Extra": 1})),
    ]
    .boxed()
}

/// Any value: leaves, lists, objects and intrinsics, nested a few levels.
fn odd_value() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[A-Za-z:]{0,8}|\\PC{0,4}", inner.clone()), 0..4)
                    .prop_map(object_of),
                intrinsic(inner),
            ]
        })
        .boxed()
}

/// A value wrapped in lists, objects and `Fn::If`s, as deep as a request the Lambda can
/// read allows (serde_json stops at 128 levels, the fragment's own place in the event and
/// in its template included).
fn deeply_nested() -> impl Strategy<Value = Value> {
    (0usize..115, leaf(), any::<u64>()).prop_map(|(levels, mut value, mut pattern)| {
        let mut depth = 0;
        while depth < levels {
            (value, depth) = match pattern % 4 {
                0 => (Value::Array(vec![value]), depth + 1),
                1 => (one("Key", value), depth + 1),
                2 if depth + 2 <= levels => (
                    json!({"Fn::If": ["Cond", value, {"Ref": "AWS::NoValue"}]}),
                    depth + 2,
                ),
                _ => (one("Fn::Base64", value), depth + 1),
            };
            pattern = pattern.rotate_right(2) ^ 0x9e37_79b9;
        }
        value
    })
}

fn any_value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => odd_value(),
        2 => intrinsic(leaf()),
        1 => deeply_nested(),
    ]
    .boxed()
}

/// A reference a template may well hold: to any name, with an attribute a Buildkite
/// resource answers to.
fn valid_reference() -> BoxedStrategy<Value> {
    let attribute = || select(&ATTRIBUTES[..6]);
    prop_oneof![
        name().prop_map(|n| json!({"Ref": n})),
        (name(), attribute()).prop_map(|(n, a)| json!({"Fn::GetAtt": [n, a]})),
        (name(), attribute()).prop_map(|(n, a)| json!({"Fn::GetAtt": format!("{n}.{a}")})),
        (name(), attribute(), name()).prop_map(|(n, a, m)| json!({"Fn::Sub": format!("x ${{{n}.{a}}} ${{{m}}} ${{!{n}}}")})),
        (name(), attribute(), name()).prop_map(|(n, a, m)| json!({"Fn::Sub": [format!("${{{n}.{a}}}/${{{m}}}/${{V}}"), {"V": {"Fn::GetAtt": [m, a]}, "Go": "shadow"}]})),
        (name(), attribute()).prop_map(|(n, a)| json!({"Fn::If": ["C", {"Ref": n}, [{"Fn::GetAtt": [n, a]}]]})),
    ]
    .boxed()
}

fn param_ref() -> impl Strategy<Value = Value> {
    select(&PARAMETERS[..]).prop_map(|p| json!({"Ref": p}))
}

fn strings(values: &'static [&'static str]) -> BoxedStrategy<Value> {
    select(values).prop_map(Value::from).boxed()
}

fn named_entries(value_key: &'static str, value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let entry = prop_oneof![
        6 => (
            select(&["A", "B", "CI", "BUILDKITE_AGENT_TOKEN", "SSH_AUTH_SOCK", "", "a b", "Ünï"][..]),
            value.clone(),
        )
            .prop_map(move |(name, value)| json!({"Name": name, value_key: value})),
        1 => (param_ref(), value.clone()).prop_map(move |(name, value)| json!({"Name": name, value_key: value})),
        1 => value.clone().prop_map(move |value| json!({value_key: value})),
        1 => any_value(),
        1 => Just(json!({"Ref": "AWS::NoValue"})),
    ];
    // An optional entry, under a condition.
    let entry = prop_oneof![
        5 => entry.clone(),
        1 => entry.prop_map(|e| json!({"Fn::If": ["Cond", e, {"Ref": "AWS::NoValue"}]})),
    ];
    prop::collection::vec(entry, 0..4)
        .prop_map(Value::Array)
        .boxed()
}

/// Values a property could sensibly have, valid or nearly so.
fn plausible(property: &str) -> BoxedStrategy<Value> {
    match property {
        "Image" | "SshAgentImage" => prop_oneof![
            strings(&[
                "ruby:3.3",
                "buildkite/agent:3",
                "",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/ruby:3.3",
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/ci",
                "1.dkr.ecr.us-east-1.amazonaws.com/ci",
                "public.ecr.aws/docker/library/ruby:3.3",
            ]),
            param_ref(),
            Just(json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/ci:1"})),
            Just(json!({"Fn::Sub": "${Image}/ci:1"})),
            Just(json!({"Fn::ImportValue": "image"})),
            Just(json!({"Fn::If": ["C", "ruby:3.3", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1"]})),
        ]
        .boxed(),
        "LogDriverMode" => strings(&["non-blocking", "blocking", "Blocking", ""]).boxed(),
        "LogMaxBufferSize" => strings(&["25m", "0", "1.5 MiB", "x", ""]).boxed(),
        "AgentQueue" => prop_oneof![strings(&["linux", "a,b", "q=1", ""]), param_ref()].boxed(),
        "AgentTags" | "AgentAllowedRepositories" | "AgentAllowedPlugins" => prop_oneof![
            Just(json!(["os=linux", "queue=x", "os=mac", "bare", "a=b,c=d", ""])),
            Just(json!([{"Ref": "Param"}, "size=small"])),
        ]
        .boxed(),
        "AgentTagsFromEcsMetadata"
        | "AgentDisconnectAfterJob"
        | "AgentNoCommandEval"
        | "AgentNoLocalHooks"
        | "AgentNoPlugins" => prop_oneof![Just(json!(true)), Just(json!(false)), strings(&["yes"])].boxed(),
        "AgentDisconnectAfterIdleTimeout"
        | "AgentPriority"
        | "AgentCancelGracePeriod"
        | "AgentSignalGracePeriodSeconds" => {
            prop_oneof![strings(&["0", "1", "25", "30", "200", "-1", "x"]), param_ref()].boxed()
        }
        "BuildkiteAgentImage" => {
            strings(&["keithduncan/buildkite-sidecar:latest", ""]).boxed()
        }
        "ArtifactsBucket" => prop_oneof![
            strings(&["ci-artifacts", "arn:aws:s3:::ci", "CI", ""]),
            param_ref(),
            Just(json!({"Ref": "Bucket"})),
            Just(json!({"Fn::ImportValue": "artifacts"})),
        ]
        .boxed(),
        "ArtifactsPrefix" => {
            strings(&["ruby", "/ruby/", "ci/*", "a//b", "", "ci/ruby"]).boxed()
        }
        "SecretsKmsKeyArn" | "ExecuteCommandKmsKeyArn" => prop_oneof![
            strings(&[
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "alias/ci",
                "arn:aws-cn:kms:cn-north-1:123456789012:key/x",
                "",
            ]),
            param_ref(),
        ]
        .boxed(),
        "ExecuteCommandLogGroup" => strings(&["/ecs/exec", "a b", ""]).boxed(),
        "EnvironmentFiles" => prop_oneof![
            Just(json!(["arn:aws:s3:::ci/a.env", "s3://ci/a.env", "arn:aws:s3:::ci/a.txt"])),
            Just(json!([{"Fn::ImportValue": "env"}, {"Ref": "Secret"}])),
            Just(json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}/x.env"}])),
        ]
        .boxed(),
        "Ulimits" => prop_oneof![
            Just(json!([{"Name": "nofile", "SoftLimit": 65536, "HardLimit": 1048576}])),
            Just(json!([{"Name": "nofile", "SoftLimit": 9, "HardLimit": 1}, {"Name": "files", "SoftLimit": 1, "HardLimit": 1}])),
            Just(json!([{"Name": "nproc", "SoftLimit": {"Ref": "Cpu"}, "HardLimit": "4096"}])),
        ]
        .boxed(),
        "ExecuteCommandBucket" => strings(&["ci-exec", "arn:aws:s3:::x", ""]).boxed(),
        "GitMirrorsFileSystemId" => prop_oneof![
            strings(&["fs-0123456789abcdef0", "fs-1", "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01234567", ""]),
            param_ref(),
        ]
        .boxed(),
        "GitMirrorsAccessPointId" => strings(&["fsap-0123456789abcdef0", "ap-1", ""]).boxed(),
        "GitMirrorsLockTimeout" => strings(&["300", "0", "86401", "x"]).boxed(),
        "HooksBucket" => prop_oneof![
            strings(&["ci-agent-hooks", "arn:aws:s3:::ci", "CI", ""]),
            param_ref(),
            Just(json!({"Fn::ImportValue": "hooks"})),
        ]
        .boxed(),
        "HooksPrefix" => strings(&["rails", "/rails/", "ci/*", ""]).boxed(),
        "HooksImage" => strings(&["ci/agent-hooks:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/hooks:1", ""]).boxed(),
        "HooksImageDirectory" => strings(&["/buildkite/hooks", "hooks", "/buildkite-hooks", "/"]).boxed(),
        "GitCredentialsSecret" | "GitSshKeySecret" => prop_oneof![
            strings(&["/ci/git-credentials", "ci/git", "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/deploy-key-AbCdEf", ""]),
            param_ref(),
            Just(json!({"Fn::ImportValue": "git"})),
        ]
        .boxed(),
        "PipelineSigningKmsKey" => prop_oneof![
            strings(&[
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "alias/ci-signing",
                "alias/aws/ssm",
                "arn:aws:kms:eu-west-1:210987654321:alias/ci",
                "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "mrk-0123",
                "",
            ]),
            param_ref(),
            Just(json!({"Fn::ImportValue": "signing-key"})),
            Just(json!({"Fn::Sub": "alias/${AWS::StackName}"})),
        ]
        .boxed(),
        "SshAgentBackend" => prop_oneof![
            strings(&[
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod",
                "",
                "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod",
                "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET",
            ]),
            Just(json!({"Ref": "Backend"})),
            Just(json!({"Fn::ImportValue": "backend"})),
        ]
        .boxed(),
        "Secrets" => named_entries(
            "ValueFrom",
            prop_oneof![
                strings(&[
                    "token",
                    "/ci/token",
                    "arn:aws:ssm:eu-west-1:123456789012:parameter/ci/token",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:key:AWSCURRENT:",
                    "has space",
                ]),
                select(&["Db", "Param", "Secret", "Bucket", "Ruby"][..]).prop_map(|n| json!({"Ref": n})),
                Just(json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Secret}"})),
                Just(json!({"Fn::Sub": "arn:${Secret}:secretsmanager:us-east-1:123456789012:secret:x-AbC123"})),
                Just(json!({"Fn::Sub": ["arn:aws:secretsmanager:${R}:123456789012:secret:db:k::", {"R": {"Ref": "Secret"}}]})),
            ]
            .boxed(),
        ),
        "Environment" => named_entries(
            "Value",
            prop_oneof![
                strings(&["x", "true", ""]),
                odd_number(),
                Just(json!(true)),
                intrinsic(leaf()),
            ]
            .boxed(),
        ),
        "TaskFamily" => prop_oneof![
            strings(&["ruby", "bad family!", "", "ruby-ci_1"]),
            Just(json!({"Fn::Sub": "${AWS::StackName}-ci"})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": [n, "Family"]})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::Sub": format!("${{{n}.Family}}-x")})),
        ]
        .boxed(),
        "TaskCpu" | "TaskMemory" | "LogRetentionInDays" | "EphemeralStorageGiB" => prop_oneof![
            odd_number(),
            strings(&["1024", "2048", "512", "30", "x", ""]),
            select(&["Cpu", "Memory"][..]).prop_map(|p| json!({"Ref": p})),
        ]
        .boxed(),
        "TaskRoleArn" | "ExecutionRoleArn" => prop_oneof![
            strings(&[
                "arn:aws:iam::123456789012:role/ci/agent",
                "arn:aws:iam::123456789012:policy/x",
                "",
            ]),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": [n, "TaskRoleArn"]})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": [n, "ExecutionRoleArn"]})),
            Just(json!({"Fn::GetAtt": ["Über", "Arn"]})),
        ]
        .boxed(),
        "TaskRolePolicies" => prop::collection::vec(
            prop_oneof![
                (select(&BUILDKITE_IDS[..]), attribute()).prop_map(|(n, a)| json!({
                    "PolicyName": "p",
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*",
                        "Resource": {"Fn::Sub": format!("${{Bucket.Arn}}/${{{n}.{a}}}")}}]}
                })),
                any_value().prop_map(|d| json!({"PolicyName": "p", "PolicyDocument": d})),
                any_value(),
            ],
            0..3,
        )
        .prop_map(Value::Array)
        .boxed(),
        "TaskRoleManagedPolicyArns" | "PermissionsBoundary" => prop_oneof![
            Just(json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"])),
            strings(&["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/"]),
        ]
        .boxed(),
        "BuildkiteAgentTokenParameterPath" => prop_oneof![
            strings(&["/buildkite/agent-token", "token", ""]),
            select(&["Param", "Secret", "Db"][..]).prop_map(|n| json!({"Ref": n})),
        ]
        .boxed(),
        "LogKmsKeyId" => strings(&[
            "arn:aws:kms:us-east-1:123456789012:key/abc",
            "arn:aws:kms:us-east-1:123456789012:alias/x",
        ]),
        "CpuArchitecture" => strings(&["X86_64", "ARM64", "arm64"]),
        "ExecutionRolePath" | "TaskRolePath" => strings(&["/", "/ci/", "ci", "/a b/"]),
        "StopTimeout" => strings(&["30", "1", "121", "x"]),
        "ExecuteCommand" | "AttachTaskExecutionRolePolicy" | "RunPolicy" | "GitMirrorsSkipUpdate" => {
            prop_oneof![Just(json!(true)), strings(&["yes", "false"])].boxed()
        }
        "Tags" => named_entries("Value", strings(&["ci", "aws:x"])).prop_map(|tags| {
            // Tags name their entries with Key.
            let text = tags.to_string().replace("\"Name\"", "\"Key\"");
            serde_json::from_str(&text).unwrap_or(tags)
        })
        .boxed(),
        _ => any_value(),
    }
}

/// Values a property accepts, literal or by reference to another resource.
fn valid(property: &str) -> BoxedStrategy<Value> {
    match property {
        "Image" | "SshAgentImage" => prop_oneof![
            strings(&[
                "ruby:3.3",
                "buildkite/agent:3",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/ruby@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ]),
            Just(json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ci:${AWS::StackName}"})),
        ]
        .boxed(),
        "BuildkiteAgentImage" => strings(&["keithduncan/buildkite-sidecar:latest", ""]),
        "ArtifactsBucket" => prop_oneof![
            strings(&["ci-artifacts"]),
            Just(json!({"Ref": "Bucket"})),
        ]
        .boxed(),
        "ArtifactsPrefix" => strings(&["ruby", "ci/ruby"]),
        "SecretsKmsKeyArn" | "ExecuteCommandKmsKeyArn" => strings(&[
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ]),
        "ExecuteCommandLogGroup" => strings(&["/ecs/exec"]),
        "EnvironmentFiles" => Just(json!(["arn:aws:s3:::ci-config/rails/ci.env",
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}-config/ci.env"}])).boxed(),
        "Ulimits" => Just(json!([{"Name": "nofile", "SoftLimit": 65536, "HardLimit": 65536}])).boxed(),
        "ExecuteCommandBucket" => strings(&["ci-exec"]),
        "GitMirrorsFileSystemId" => strings(&["fs-0123456789abcdef0"]),
        "GitMirrorsAccessPointId" => strings(&["fsap-0123456789abcdef0"]),
        "GitMirrorsLockTimeout" => strings(&["1", "600"]),
        "HooksBucket" => prop_oneof![
            strings(&["ci-agent-hooks"]),
            Just(json!({"Ref": "Bucket"})),
        ]
        .boxed(),
        "HooksPrefix" => strings(&["rails", "ci/rails"]),
        "HooksImage" => strings(&["ci/agent-hooks:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/hooks@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]),
        "HooksImageDirectory" => strings(&["/hooks", "/buildkite/hooks"]),
        "GitCredentialsSecret" | "GitSshKeySecret" => strings(&[
            "/ci/git-credentials",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/deploy-key-AbCdEf",
        ]),
        "PipelineSigningKmsKey" => prop_oneof![
            strings(&[
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "alias/ci-signing",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ]),
            Just(json!({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/${AWS::StackName}"})),
        ]
        .boxed(),
        "SshAgentBackend" => prop_oneof![
            strings(&["arn:aws:execute-api:us-east-1:123456789012:abc123/prod", ""]),
            Just(json!({"Fn::ImportValue": "backend"})),
        ]
        .boxed(),
        "Secrets" => prop::collection::vec(
            (
                select(&["A", "B", "C"][..]),
                prop_oneof![
                    strings(&["token", "/ci/token", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123"]),
                    select(&["Db", "Param"][..]).prop_map(|n| json!({"Ref": n})),
                ],
            ),
            0..3,
        )
        .prop_map(|entries| {
            let mut seen = HashSet::new();
            Value::Array(
                entries
                    .into_iter()
                    .filter(|(name, _)| seen.insert(*name))
                    .map(|(name, value)| json!({"Name": format!("S{name}"), "ValueFrom": value}))
                    .collect(),
            )
        })
        .boxed(),
        "Environment" => prop::collection::vec(
            (select(&["A", "B", "C"][..]), intrinsic(strings(&["x"]))),
            0..3,
        )
        .prop_map(|entries| {
            let mut seen = HashSet::new();
            Value::Array(
                entries
                    .into_iter()
                    .filter(|(name, _)| seen.insert(*name))
                    .map(|(name, value)| json!({"Name": name, "Value": value}))
                    .collect(),
            )
        })
        .boxed(),
        "TaskFamily" => prop_oneof![
            strings(&["ruby-ci_1"]),
            Just(json!({"Fn::Sub": "${AWS::StackName}-ci"})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": [n, "Family"]})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::Sub": format!("${{{n}.Family}}-x")})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::Join": ["-", [{"Fn::GetAtt": [n, "Family"]}, "x"]]})),
        ]
        .boxed(),
        "TaskCpu" => strings(&["1024"]),
        "TaskMemory" => strings(&["2048", "4096"]),
        "ExecutionRolePath" | "TaskRolePath" => strings(&["/", "/ci/agents/", ""]),
        "RepositoryCredentials" => prop_oneof![
            strings(&["arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbC123"]),
            Just(json!({"Ref": "Db"})),
        ]
        .boxed(),
        "Services" => prop_oneof![
            Just(json!([])),
            Just(json!([{"Name": "db", "Image": "postgres:16",
                "HealthCheck": {"Command": ["CMD-SHELL", "pg_isready"], "Retries": 3},
                "Secrets": [{"Name": "PASSWORD", "ValueFrom": "/ci/db/password"}]},
                {"Name": "redis", "Image": "redis:7", "Essential": "true", "Cpu": 256, "MemoryReservation": 256,
                 "StopTimeout": 10, "Ulimits": [{"Name": "nofile", "SoftLimit": 1024, "HardLimit": 4096}]}])),
        ]
        .boxed(),
        "Volumes" => Just(json!([{"Name": "cache", "FileSystemId": "fs-01234567",
            "AccessPointId": "fsap-01234567", "ContainerPath": "/cache", "ReadOnly": true},
            {"Name": "workspace", "ContainerPath": "/workspace"}]))
        .boxed(),
        "ExecuteCommand" | "AttachTaskExecutionRolePolicy" | "RunPolicy" | "GitMirrorsSkipUpdate" => {
            prop_oneof![Just(json!(true)), Just(json!(false)), strings(&["true"])].boxed()
        }
        "LogDriverMode" => strings(&["non-blocking"]),
        "LogMaxBufferSize" => strings(&["25m", "512k"]),
        "AgentQueue" => strings(&["linux", "default"]),
        "AgentTags" => Just(json!(["os=linux", "size=small"])).boxed(),
        "AgentAllowedRepositories" | "AgentAllowedPlugins" => Just(json!(["^acme/.*$"])).boxed(),
        "AgentTagsFromEcsMetadata" | "AgentDisconnectAfterJob" => {
            prop_oneof![Just(json!(true)), Just(json!(false))].boxed()
        }
        // True, each turns plugins off, and AgentAllowedPlugins is then refused.
        "AgentNoCommandEval" | "AgentNoLocalHooks" | "AgentNoPlugins" => Just(json!(false)).boxed(),
        "AgentDisconnectAfterIdleTimeout" | "AgentPriority" => strings(&["0", "60"]),
        "AgentName" => strings(&["ci-%spawn"]),
        // Within the shortest StopTimeout drawn (2 s).
        "AgentCancelGracePeriod" => strings(&["2"]),
        "AgentSignalGracePeriodSeconds" => strings(&["1"]),
        "StopTimeout" => strings(&["2", "120"]),
        "LogRetentionInDays" => strings(&["30", "14"]),
        "EphemeralStorageGiB" => strings(&["21", "200"]),
        "TaskRoleArn" | "ExecutionRoleArn" => prop_oneof![
            strings(&["arn:aws:iam::123456789012:role/ci/agent"]),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": [n, "TaskRoleArn"]})),
            select(&BUILDKITE_IDS[..]).prop_map(|n| json!({"Fn::GetAtt": format!("{n}.ExecutionRoleArn")})),
        ]
        .boxed(),
        "TaskRolePolicies" => (select(&BUILDKITE_IDS[..]), select(&ATTRIBUTES[..6]))
            .prop_map(|(n, a)| json!([{
                "PolicyName": "p",
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*",
                    "Resource": [{"Fn::Sub": format!("${{Bucket.Arn}}/${{{n}.{a}}}")}, {"Fn::GetAtt": [n, a]}, {"Ref": n}]}]}
            }]))
            .boxed(),
        "TaskRoleManagedPolicyArns" => Just(json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"])).boxed(),
        "PermissionsBoundary" => strings(&["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        "BuildkiteAgentTokenParameterPath" => prop_oneof![
            strings(&["/buildkite/agent-token", "token"]),
            select(&["Param", "Db"][..]).prop_map(|n| json!({"Ref": n})),
        ]
        .boxed(),
        "LogKmsKeyId" => strings(&["arn:aws:kms:us-east-1:123456789012:key/abc"]),
        "CpuArchitecture" => strings(&["X86_64", "ARM64"]),
        "Tags" => Just(json!([{"Key": "team", "Value": "ci"}])).boxed(),
        _ => strings(&[""]),
    }
}

/// Properties that expand: each absent or valid.
fn valid_properties() -> impl Strategy<Value = Value> {
    let each: Vec<BoxedStrategy<Option<(String, Value)>>> = PROPERTY_NAMES
        .iter()
        .map(|&property| {
            let absent = match property {
                "Image" => 0,
                "TaskRolePolicies"
                | "TaskRoleManagedPolicyArns"
                | "TaskRoleArn"
                | "ExecutionRoleArn" => 6,
                // Refused without the property they go with, so dropped alone (below).
                "ArtifactsPrefix"
                | "ExecuteCommandKmsKeyArn"
                | "ExecuteCommandLogGroup"
                | "ExecuteCommandBucket"
                | "GitMirrorsAccessPointId"
                | "GitMirrorsLockTimeout"
                | "GitMirrorsSkipUpdate"
                | "HooksPrefix"
                | "HooksImageDirectory" => 4,
                _ => 3,
            };
            prop_oneof![
                absent => Just(None),
                2 => valid(property).prop_map(move |v| Some((property.to_owned(), v))),
            ]
            .boxed()
        })
        .collect();
    each.prop_map(|entries| {
        let mut properties: Map<String, Value> = entries.into_iter().flatten().collect();
        if properties.contains_key("TaskCpu") || properties.contains_key("TaskMemory") {
            properties.insert("TaskCpu".into(), json!("1024"));
            properties.entry("TaskMemory").or_insert(json!("2048"));
        }
        if properties.contains_key("TaskRoleArn") {
            properties.shift_remove("TaskRolePolicies");
            properties.shift_remove("TaskRoleManagedPolicyArns");
        }
        // Properties that only mean something beside another are refused alone.
        if properties.contains_key("ExecutionRoleArn") {
            properties.shift_remove("ExecutionRolePath");
        }
        if !properties.contains_key("ArtifactsBucket") {
            properties.shift_remove("ArtifactsPrefix");
        }
        // One ssh agent: iam-ssh-agent's or git-ssh-agent's.
        if matches!(properties.get("SshAgentBackend"), Some(v) if v != &json!("")) {
            properties.shift_remove("GitSshKeySecret");
        }
        // One source of hooks, each setting with its source.
        if properties.contains_key("HooksBucket") {
            properties.shift_remove("HooksImage");
        } else {
            properties.shift_remove("HooksPrefix");
        }
        if !properties.contains_key("HooksImage") {
            properties.shift_remove("HooksImageDirectory");
        }
        if !properties.contains_key("GitMirrorsFileSystemId") {
            for name in ["GitMirrorsAccessPointId", "GitMirrorsLockTimeout", "GitMirrorsSkipUpdate"] {
                properties.shift_remove(name);
            }
        }
        let executes = matches!(properties.get("ExecuteCommand"), Some(v) if v == &json!(true) || v == &json!("true"));
        if !executes {
            for name in ["ExecuteCommandKmsKeyArn", "ExecuteCommandLogGroup", "ExecuteCommandBucket"] {
                properties.shift_remove(name);
            }
        }
        Value::Object(properties)
    })
}

/// The properties of a Buildkite resource: each present with a plausible or an odd value,
/// or absent; sometimes with extra keys.
fn properties() -> impl Strategy<Value = Value> {
    let each: Vec<BoxedStrategy<Option<(String, Value)>>> = PROPERTY_NAMES
        .iter()
        .map(|&property| {
            let weight_present = if property == "Image" { 12 } else { 3 };
            prop_oneof![
                5 => Just(None),
                weight_present => plausible(property).prop_map(move |v| Some((property.to_owned(), v))),
                1 => any_value().prop_map(move |v| Some((property.to_owned(), v))),
                // A property decided by a condition: both branches expanded and joined.
                1 => (select(&["C", "Cond", "Undeclared"][..]), plausible(property), prop_oneof![
                    plausible(property),
                    Just(json!({"Ref": "AWS::NoValue"})),
                ])
                    .prop_map(move |(c, a, b)| Some((property.to_owned(), json!({"Fn::If": [c, a, b]})))),
            ]
            .boxed()
        })
        .collect();
    let extra = prop::option::weighted(
        0.1,
        (
            select(&["Imag", "TaskMemroy", "Ünïcode", "", "Type"][..]),
            any_value(),
        ),
    );
    (each, extra).prop_map(|(entries, extra)| {
        Value::Object(
            entries
                .into_iter()
                .flatten()
                .chain(extra.map(|(k, v)| (k.to_owned(), v)))
                .collect(),
        )
    })
}

fn resource_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        10 => strings(&["Buildkite::ECS::TaskDefinition"]),
        3 => strings(&["Buildkite::ECS::Agent"]),
        1 => strings(&["Buildkite::ECS::TaskDefinitio", "buildkite::ecs::taskdefinition"]),
        1 => any_value(),
    ]
}

fn buildkite_resource(clean: bool) -> BoxedStrategy<Value> {
    if clean {
        return (resource_type_clean(), valid_properties())
            .prop_map(|(kind, properties)| json!({"Type": kind, "Properties": properties}))
            .boxed();
    }
    let attributes = (
        prop::option::weighted(0.2, strings(&["IsEnabled", ""])),
        prop::option::weighted(
            0.2,
            prop_oneof![
                name().prop_map(Value::String),
                Just(json!(["Bucket", "Go"])),
                any_value()
            ],
        ),
        prop::option::weighted(
            0.15,
            prop_oneof![strings(&["Delete", "Retain", "Snapshot"]), any_value()],
        ),
        prop::option::weighted(0.1, any_value()),
        prop::option::weighted(0.05, any_value()),
    );
    (
        resource_type(),
        prop_oneof![8 => valid_properties(), 8 => properties(), 1 => any_value()],
        prop::option::weighted(0.97, Just(())),
        attributes,
    )
        .prop_map(
            |(
                kind,
                properties,
                has_properties,
                (condition, depends_on, deletion, metadata, extra),
            )| {
                let mut resource = Map::new();
                resource.insert("Type".into(), kind);
                if has_properties.is_some() {
                    resource.insert("Properties".into(), properties);
                }
                for (key, value) in [
                    ("Condition", condition),
                    ("DependsOn", depends_on),
                    ("DeletionPolicy", deletion),
                    ("Metadata", metadata),
                    ("Extra", extra),
                ] {
                    if let Some(value) = value {
                        resource.insert(key.into(), value);
                    }
                }
                Value::Object(resource)
            },
        )
        .boxed()
}

fn resource_type_clean() -> impl Strategy<Value = &'static str> {
    select(&["Buildkite::ECS::TaskDefinition", "Buildkite::ECS::Agent"][..])
}

/// A resource of another type, whose properties reference the Buildkite resources.
fn other_resource(clean: bool) -> BoxedStrategy<(String, Value)> {
    (
        select(&OTHER_IDS[..]),
        prop::collection::vec(
            (
                select(&["A", "B", "Name", "TaskDefinition"][..]),
                if clean {
                    valid_reference()
                } else {
                    prop_oneof![3 => valid_reference(), 1 => any_value()].boxed()
                },
            ),
            0..4,
        ),
        prop::option::weighted(0.2, prop_oneof![name().prop_map(Value::String), Just(json!(["Ruby", "Nope"]))]),
    )
        .prop_map(move |(id, properties, depends_on)| {
            let kind = match id {
                "Db" => "AWS::SecretsManager::Secret",
                "Param" => "AWS::SSM::Parameter",
                "Bucket" => "AWS::S3::Bucket",
                _ => "AWS::ECS::Service",
            };
            let mut resource = json!({"Type": kind, "Properties": object_of(properties.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())});
            if let Some(depends_on) = depends_on {
                resource["DependsOn"] = depends_on;
            }
            (id.to_owned(), resource)
        })
        .boxed()
}

fn parameter_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(MARKER)),
        Just(json!(format!(
            "arn:{MARKER}:ssm:us-east-1:123456789012:parameter/x"
        ))),
        Just(json!(format!(
            "arn:aws:ssm:{MARKER}:123456789012:parameter/x"
        ))),
        Just(json!(format!(
            "arn:aws:execute-api:us-east-1:123456789012:{MARKER}/prod/x"
        ))),
        Just(json!(format!(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:{MARKER}:a:b"
        ))),
        Just(json!(format!("{MARKER} with space"))),
        Just(json!(format!("/ci/{MARKER}"))),
        Just(json!(format!("{MARKER}\u{0}\n"))),
        Just(json!(NUMERIC_MARKER)),
        Just(json!(NUMERIC_MARKER.parse::<u64>().unwrap())),
        Just(json!("")),
        Just(json!([MARKER])),
    ]
}

fn parameters() -> impl Strategy<Value = (Value, Map<String, Value>)> {
    prop::collection::vec(
        (
            select(&PARAMETERS[..]),
            prop::option::weighted(0.5, parameter_value()),
            prop::option::weighted(0.6, parameter_value()),
        ),
        0..5,
    )
    .prop_map(|declared| {
        let mut parameters = Map::new();
        let mut values = Map::new();
        for (name, default, value) in declared {
            let mut declaration = json!({"Type": "String", "NoEcho": true});
            if let Some(default) = default {
                declaration["Default"] = default;
            }
            parameters.insert(name.to_owned(), declaration);
            if let Some(value) = value {
                values.insert(name.to_owned(), value);
            }
        }
        (Value::Object(parameters), values)
    })
}

fn globals(clean: bool) -> BoxedStrategy<Option<Value>> {
    if clean {
        return prop_oneof![
            2 => Just(None),
            1 => valid_properties().prop_map(|mut p| {
                p.as_object_mut().unwrap().shift_remove("TaskFamily");
                p.as_object_mut().unwrap().shift_remove("Image");
                Some(json!({"TaskDefinition": p, "Function": {"Timeout": 10}}))
            }),
        ]
        .boxed();
    }
    prop_oneof![
        6 => Just(None),
        3 => properties().prop_map(|p| Some(json!({"TaskDefinition": p}))),
        1 => properties().prop_map(|p| Some(json!({"TaskDefinition": p, "Function": {"Timeout": 10, "Role": {"Fn::GetAtt": ["Ruby", "TaskRoleArn"]}}}))),
        1 => any_value().prop_map(|v| Some(json!({"TaskDefinition": v}))),
        1 => any_value().prop_map(Some),
    ]
    .boxed()
}

fn outputs(clean: bool) -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(
        0.6,
        prop::collection::vec(
            (
                select(&["A", "B", "C"][..]),
                if clean {
                    valid_reference()
                } else {
                    prop_oneof![4 => valid_reference(), 1 => intrinsic(leaf()), 1 => any_value()]
                        .boxed()
                },
            ),
            0..4,
        )
        .prop_map(|outputs| {
            object_of(
                outputs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), json!({"Value": v})))
                    .collect(),
            )
        }),
    )
}

fn fragment(clean: bool) -> impl Strategy<Value = (Value, Map<String, Value>)> {
    let buildkite = prop::collection::vec(
        (
            select(if clean {
                &BUILDKITE_IDS[5..]
            } else {
                &BUILDKITE_IDS[..]
            })
            .prop_map(str::to_owned),
            buildkite_resource(clean),
        ),
        0..4,
    );
    // The secret and the parameter that Secrets refer to are usually there.
    let others = (
        prop::collection::vec(other_resource(clean), 0..3),
        prop::option::weighted(0.8, Just(json!({"Type": "AWS::SecretsManager::Secret"}))),
        prop::option::weighted(0.8, Just(json!({"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/ci/token", "Type": "String", "Value": "x"}}))),
    )
        .prop_map(|(mut others, db, param)| {
            others.extend(db.map(|db| ("Db".to_owned(), db)));
            others.extend(param.map(|param| ("Param".to_owned(), param)));
            others
        });
    let long_id = prop::option::weighted(
        if clean { 0.000_001 } else { 0.03 },
        buildkite_resource(clean),
    );
    (
        buildkite,
        others,
        long_id,
        parameters(),
        globals(clean),
        outputs(clean),
        prop_oneof![30 => Just(None), 1 => any_value().prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(
            |(
                buildkite,
                others,
                long_id,
                (parameters, values),
                globals,
                outputs,
                odd_resources,
                others_first,
            )| {
                let mut resources = Map::new();
                let (first, second) = if others_first {
                    (others, buildkite)
                } else {
                    (buildkite, others)
                };
                for (id, resource) in first.into_iter().chain(second) {
                    resources.insert(id, resource);
                }
                if let Some(resource) = long_id {
                    resources.insert("L".repeat(241), resource);
                }
                let mut fragment = Map::new();
                fragment.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
                fragment.insert("Parameters".into(), parameters);
                // The conditions the generators' `Fn::If`s name (but `Undeclared`).
                fragment.insert(
                    "Conditions".into(),
                    json!({
                        "C": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                        "Cond": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-2"]},
                        "IsEnabled": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-west-2"]}
                    }),
                );
                if let Some(globals) = globals {
                    fragment.insert("Globals".into(), globals);
                }
                fragment.insert(
                    "Resources".into(),
                    odd_resources.unwrap_or(Value::Object(resources)),
                );
                if let Some(outputs) = outputs {
                    fragment.insert("Outputs".into(), outputs);
                }
                (Value::Object(fragment), values)
            },
        )
}

fn event() -> impl Strategy<Value = Value> {
    prop_oneof![2 => event_of(true), 3 => event_of(false)]
}

fn event_of(clean: bool) -> impl Strategy<Value = Value> {
    (
        fragment(clean),
        prop_oneof![
            select(&["6a6b0e3f-request", ""][..]).prop_map(str::to_owned),
            "\\PC{0,16}"
        ],
        prop_oneof![
            8 => Just("us-east-1"),
            1 => select(&["eu-west-1", "cn-north-1", "us-gov-west-1", "", "x"][..]),
        ],
        prop::option::weighted(
            if clean { 0.000_001 } else { 0.03 },
            select(
                &[
                    "region",
                    "accountId",
                    "fragment",
                    "templateParameterValues",
                    "transformId",
                    "requestId",
                ][..],
            ),
        ),
        prop::option::weighted(if clean { 0.000_001 } else { 0.02 }, any_value()),
    )
        .prop_map(
            |((fragment, values), request_id, region, dropped, odd_fragment)| {
                let mut event = json!({
                    "region": region,
                    "accountId": "123456789012",
                    "fragment": odd_fragment.unwrap_or(fragment),
                    "transformId": "123456789012::Buildkite-Agents-2020-03-09",
                    "params": {},
                    "requestId": request_id,
                    "templateParameterValues": values,
                });
                // Rarely, a field is missing.
                if let Some(dropped) = dropped {
                    event.as_object_mut().unwrap().shift_remove(dropped);
                }
                event
            },
        )
}

/// Every `Ref`, `Fn::GetAtt` and `${...}` name of `Fn::Sub` under `value`, and every
/// `DependsOn` name of a resource, with the place it is at.
fn referenced_names(value: &Value, path: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                let (key, argument) = map.iter().next().unwrap();
                match (key.as_str(), argument) {
                    ("Ref", Value::String(target)) => {
                        found.push((target.clone(), path.to_owned()));
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(Value::String(target)) = parts.first() {
                            found.push((target.clone(), path.to_owned()));
                        }
                    }
                    ("Fn::GetAtt", Value::String(dotted)) => {
                        let target = dotted.split('.').next().unwrap_or_default();
                        found.push((target.to_owned(), path.to_owned()));
                    }
                    ("Fn::Sub", argument) => {
                        let (template, variables) = match argument {
                            Value::String(template) => (Some(template), None),
                            Value::Array(parts) => match parts.as_slice() {
                                [Value::String(template), Value::Object(variables)] => {
                                    (Some(template), Some(variables))
                                }
                                _ => (None, None),
                            },
                            _ => (None, None),
                        };
                        for part in template.into_iter().flat_map(|t| sub_parts(t)) {
                            if let SubPart::Variable(variable) = part {
                                if variables.is_some_and(|v| v.contains_key(variable)) {
                                    continue;
                                }
                                let target = variable.split('.').next().unwrap_or_default();
                                found.push((target.to_owned(), path.to_owned()));
                            }
                        }
                    }
                    _ => {}
                }
            }
            for (key, child) in map {
                referenced_names(child, &format!("{path}.{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                referenced_names(item, &format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

fn resource_ids(fragment: &Value) -> HashSet<String> {
    fragment
        .get("Resources")
        .and_then(Value::as_object)
        .map(|resources| resources.keys().cloned().collect())
        .unwrap_or_default()
}

/// A successful expansion: no Buildkite type left, `Globals.TaskDefinition` gone, and every
/// reference points at something that exists (or at a name the input did not define either:
/// the user's own dangling reference, which CloudFormation reports).
fn check_success(input: &Value, output: &Value) -> Result<(), TestCaseError> {
    let input_ids = resource_ids(input);
    let output_ids = resource_ids(output);
    let parameters: HashSet<String> = input
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let resources = output.get("Resources").and_then(Value::as_object);
    let mut found = Vec::new();
    for (id, resource) in resources.into_iter().flatten() {
        if let Some(kind) = resource.get("Type").and_then(Value::as_str) {
            prop_assert!(
                !kind.starts_with("Buildkite::"),
                "Resources.{id} is still {kind}"
            );
        }
        match resource.get("DependsOn") {
            Some(Value::String(name)) => {
                found.push((name.clone(), format!("Resources.{id}.DependsOn")))
            }
            Some(Value::Array(names)) => {
                for name in names.iter().filter_map(Value::as_str) {
                    found.push((name.to_owned(), format!("Resources.{id}.DependsOn")));
                }
            }
            _ => {}
        }
        referenced_names(resource, &format!("Resources.{id}"), &mut found);
    }
    for section in ["Outputs", "Globals"] {
        if let Some(value) = output.get(section) {
            referenced_names(value, section, &mut found);
        }
    }
    for (name, path) in found {
        let exists = name.starts_with("AWS::")
            || output_ids.contains(&name)
            || parameters.contains(&name)
            || !input_ids.contains(&name);
        prop_assert!(
            exists,
            "{path} refers to {name}, which the output does not have"
        );
    }
    prop_assert!(
        output.pointer("/Globals/TaskDefinition").is_none() || resources.is_none(),
        "Globals.TaskDefinition is left"
    );
    Ok(())
}

fn check_event(event: Value) -> Result<(), TestCaseError> {
    let request_id = event
        .get("requestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let has_numeric_marker = event
        .get("templateParameterValues")
        .is_some_and(|v| v.to_string().contains(NUMERIC_MARKER))
        || event
            .get("fragment")
            .and_then(|f| f.get("Parameters"))
            .is_some_and(|v| v.to_string().contains(NUMERIC_MARKER));

    // The layer below the catch_unwind of the Lambda path: a panic here fails the test.
    let fragment = event.get("fragment").cloned().unwrap_or(Value::Null);
    let context = ExpansionContext {
        region: event["region"].as_str().unwrap_or("us-east-1").to_owned(),
        account_id: "123456789012".into(),
        parameter_values: event
            .get("templateParameterValues")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        language_extensions_after: None,
    };
    let direct = expand_with_summary(fragment.clone(), &context);

    let (response, summary) = respond_to_event(event.clone());
    prop_assert_eq!(&response.request_id, &request_id);
    prop_assert_eq!(&summary.request_id, &request_id);
    match response.status {
        MacroStatus::Failure => {
            prop_assert!(response.fragment.is_none(), "a failure carries no fragment");
            let message = response.error_message.as_deref().unwrap_or_default();
            prop_assert!(!message.trim().is_empty(), "a failure says why");
            prop_assert!(
                !message.contains("failed unexpectedly"),
                "the expansion panicked: {message}"
            );
            prop_assert!(
                !message.contains(MARKER),
                "a parameter value is echoed: {}",
                message
            );
            if has_numeric_marker {
                prop_assert!(
                    !message.contains(NUMERIC_MARKER),
                    "a numeric parameter value is echoed: {}",
                    message
                );
            }
        }
        MacroStatus::Success => {
            prop_assert!(response.error_message.is_none());
            let expanded = response
                .fragment
                .as_ref()
                .expect("a success has a fragment");
            let output = expanded.to_value();
            prop_assert_eq!(
                serde_json::to_string_pretty(expanded).unwrap(),
                serde_json::to_string_pretty(&output).unwrap(),
                "the typed resources are written as their values are"
            );
            check_success(&fragment, &output)?;
            let (direct, _) =
                direct.map_err(|p| TestCaseError::fail(format!("direct call failed: {p}")))?;
            prop_assert_eq!(
                serde_json::to_string(&direct).unwrap(),
                serde_json::to_string(&output).unwrap(),
                "the same request gives the same output"
            );
        }
    }
    let serialized = serde_json::to_value(&response).unwrap();
    prop_assert!(matches!(
        serialized["status"].as_str(),
        Some("success" | "failure")
    ));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_event_gets_a_well_formed_answer(event in event()) {
        check_event(event)?;
    }
}

#[test]
fn the_generator_reaches_both_outcomes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = event();
    let (mut successes, mut failures) = (0, 0);
    for _ in 0..300 {
        let event = strategy.new_tree(&mut runner).unwrap().current();
        let expanded = event["fragment"]["Resources"].as_object().is_some_and(|r| {
            r.values()
                .any(|r| r["Type"] == "Buildkite::ECS::TaskDefinition")
        });
        let event_copy = event.clone();
        match respond_to_event(event).0.status {
            MacroStatus::Success if expanded => successes += 1,
            MacroStatus::Success => {}
            MacroStatus::Failure => {
                failures += 1;
                if std::env::var("DEBUG_GEN").is_ok() {
                    eprintln!("{}", respond_to_event(event_copy).0.error_message.unwrap());
                }
            }
        }
    }
    eprintln!("{successes} expanded, {failures} failed");
    assert!(successes >= 15, "only {successes} of 300 expanded anything");
    assert!(failures >= 30, "only {failures} of 300 failed");
}

#[test]
fn every_declared_property_is_fuzzed() {
    let declared: Vec<&str> = buildkite_ecs_macro::properties::declarations::property_names();
    let missing: Vec<&&str> = declared
        .iter()
        .filter(|name| !PROPERTY_NAMES.contains(name))
        .collect();
    let unknown: Vec<&&str> = PROPERTY_NAMES
        .iter()
        .filter(|name| !declared.contains(name))
        .collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "PROPERTY_NAMES differs from the declarations: add {missing:?}, remove {unknown:?}"
    );
}
