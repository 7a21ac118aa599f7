use super::*;
use crate::template::context::ExpansionContext;
use serde_json::json;

/// Counts with `known` for a stack in `region` whose template declares `parameters`.
fn with_known<T>(region: &str, parameters: Value, count: impl FnOnce(&KnownValues<'_>) -> T) -> T {
    let mut context = ExpansionContext::new(region, "123456789012");
    context
        .parameter_values
        .insert("Given".to_owned(), json!("a-longer-value-than-its-name"));
    let resources = Map::new();
    let scope = TemplateScope::new(&context, parameters.as_object(), &resources);
    let known = KnownValues::new(&scope, "AgentLogGroup", Some("/aws/ecs/agent"));
    count(&known)
}

fn least(value: &Value) -> usize {
    with_known(
        "us-east-1",
        json!({"Given": {"Type": "String"}, "Looked": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/a/very/long/parameter/name"}}),
        |known| least_characters(value, known),
    )
}

#[test]
fn a_document_counts_as_its_compact_json_with_what_the_request_tells() {
    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    assert_eq!(least(&document), document.to_string().len());
    assert_eq!(
        least(
            &json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/x"})
        ),
        "\"arn:aws:ssm:us-east-1:123456789012:parameter/x\"".len()
    );
    // A parameter's value counts as given; one CloudFormation looks up, or another
    // function, may be as short as nothing.
    assert_eq!(
        least(&json!({"Fn::Sub": "a${Given}b"})),
        "\"aa-longer-value-than-its-nameb\"".len()
    );
    assert_eq!(
        least(&json!({"Ref": "Given"})),
        "\"a-longer-value-than-its-name\"".len()
    );
    assert_eq!(least(&json!({"Fn::Sub": "a${Looked}b"})), 4);
    assert_eq!(least(&json!({"Fn::Sub": "a${AWS::StackName}b"})), 4);
    assert_eq!(least(&json!({"Fn::GetAtt": ["L", "Arn"]})), 0);
    assert_eq!(
        least(&json!({"Fn::Sub": ["${A}-${B}", {"A": "xy", "B": {"Ref": "Given"}}]})),
        "\"xy-a-longer-value-than-its-name\"".len()
    );
    assert_eq!(
        least(&json!({"Fn::Sub": "${!Literal}"})),
        "\"${Literal}\"".len()
    );
    assert_eq!(
        least(&json!(["a", {"Ref": "AWS::NoValue"}, "b"])),
        r#"["a","b"]"#.len()
    );
    assert_eq!(
        least(&json!({"Fn::If": ["C", "long text", "s"]})),
        r#""s""#.len()
    );
}

#[test]
fn a_bounded_sub_is_never_fewer_than_counted() {
    for value in [
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:p/a"}),
        json!({"Fn::Sub": "${!Literal}-${Given}-${AWS::URLSuffix}-$-${AgentLogGroup.Arn}"}),
        json!({"Fn::Sub": ["${A}", {"A": {"Ref": "Given"}}]}),
        json!({"Fn::Sub": "unclosed ${AWS::Region"}),
        json!([{"Fn::If": ["C", {"Fn::Sub": "${AWS::StackName}"}, "s"]}, "t"]),
    ] {
        with_known(
            "us-isof-south-1",
            json!({"Given": {"Type": "String"}}),
            |known| {
                let exact = least_characters(&value, known);
                let bound = least_characters(&value, &known.bounding());
                assert!(bound >= exact, "{value}: {bound} < {exact}");
            },
        );
    }
}

#[test]
fn the_generated_log_group_arn_counts_as_cloudformation_writes_it() {
    let arn = "\"arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/agent:*\"".len();
    assert_eq!(least(&json!({"Fn::GetAtt": ["AgentLogGroup", "Arn"]})), arn);
    assert_eq!(least(&json!({"Fn::GetAtt": "AgentLogGroup.Arn"})), arn);
    assert_eq!(least(&json!({"Fn::Sub": "${AgentLogGroup.Arn}"})), arn);
    // Elsewhere the region is the request's, ap-southeast-2 five characters longer.
    assert_eq!(
        with_known("ap-southeast-2", json!({}), |known| least_characters(
            &json!({"Fn::GetAtt": ["AgentLogGroup", "Arn"]}),
            known
        )),
        arn + 5
    );
}

#[test]
fn known_text_is_the_deployed_text_where_every_part_is_known() {
    with_known(
        "eu-west-1",
        json!({"Given": {"Type": "String"}, "Looked": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "x"}}),
        |known| {
            let scope = known.scope;
            assert_eq!(known_text(scope, &json!("ruby")).as_deref(), Some("ruby"));
            assert_eq!(
                known_text(
                    scope,
                    &json!({"Fn::Sub": "/aws/ecs/${Given}-${AWS::Region}"})
                )
                .as_deref(),
                Some("/aws/ecs/a-longer-value-than-its-name-eu-west-1")
            );
            assert_eq!(known_text(scope, &json!({"Ref": "Looked"})), None);
            assert_eq!(
                known_text(scope, &json!({"Fn::Sub": "${AWS::StackName}"})),
                None
            );
            assert_eq!(known_text(scope, &json!({"Fn::Join": ["", ["a"]]})), None);
        },
    );
}

#[test]
fn a_typed_policy_counts_as_its_value_does() {
    use crate::generate::output_types::{Allow, InlinePolicy};
    let inline = InlinePolicy {
            name: "ReadAgentSecrets",
            statements: vec![
                Statement::Allow(
                    Allow::new(
                        "ReadParameters",
                        Actions::List(&["ssm:GetParameters", "ssm:GetParameter"]),
                        json!([
                            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/a"},
                            {"Ref": "AWS::NoValue"},
                            {"Fn::GetAtt": ["AgentLogGroup", "Arn"]},
                            "arn:aws:ssm:eu-west-1:123456789012:parameter/b"
                        ]),
                    )
                    .when("StringEquals", "kms:ViaService", json!({"Fn::If": ["C", "long text", "s"]})),
                ),
                Statement::Allow(Allow::unnamed(Actions::One("s3:GetObject"), json!(-12))),
                Statement::Allow(
                    Allow::new("Gone", Actions::One("s3:GetObject"), json!({"Ref": "AWS::NoValue"}))
                        .when("StringLike", "k", json!({"Ref": "AWS::NoValue"})),
                ),
                Statement::Written(json!({"Effect": "Allow", "Resource": [1.5, null, true]})),
                Statement::Written(json!({"Ref": "AWS::NoValue"})),
            ],
        };
    let written = RolePolicy::Written(
        json!({"Fn::If": ["C", {"PolicyDocument": {"a": "b"}}, {"PolicyDocument": {}}]}),
    );
    for policy in [RolePolicy::Inline(inline), written] {
        let value = serde_json::to_value(&policy).unwrap();
        with_known("us-east-1", json!({}), |known| {
            assert_eq!(
                least_role_policy_characters(&policy, known),
                least_policy_characters(&value, known),
                "{value}"
            )
        });
    }
}

#[test]
fn a_role_sure_to_be_over_the_limit_is_refused_and_one_that_may_fit_is_not() {
    let role = |resources: usize| {
        let arns: Vec<Value> = (0..resources)
                .map(|n| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/ci/token-{n}")}))
                .collect();
        vec![(
            "AgentExecutionRole".to_owned(),
            GeneratedResource::Joined(
                json!({"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
                    "PolicyName": "ReadAgentSecrets",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": arns}
                    ]}
                }]}}),
            ),
        )]
    };
    let problems = with_known("us-east-1", json!({}), |known| {
        let mut problems = Problems::new();
        check_role_policy_sizes("Agent", &role(100), known, &mut problems);
        assert!(problems.is_empty(), "{problems}");
        check_role_policy_sizes("Agent", &role(300), known, &mut problems);
        problems
    });
    let text = problems.to_string();
    assert!(
        text.contains(
            "Resources.Agent: expands to AgentExecutionRole, whose inline policies come to at least"
        ) && text.contains("over the 10240 IAM allows a role"),
        "{text}"
    );
}
