use super::*;
use crate::template::context::ExpansionContext;
use crate::template::scope::TemplateScope;
use serde_json::json;

/// Counting as the value is serialised gives what counting the value gives.
#[test]
fn counted_as_serialised_is_counted_as_a_value() {
    let context = ExpansionContext::new("eu-west-1", "123456789012");
    let resources = Map::new();
    let parameters = json!({"Family": {"Type": "String", "Default": "a-long-family-name"}});
    let scope = TemplateScope::new(&context, parameters.as_object(), &resources);
    let known = KnownValues::new(&scope, "AgentLogGroup", Some("/aws/ecs/agent"));
    for value in [
        json!({"Family": "agent", "Cpu": "256", "Flag": true, "N": -12, "F": 1.5, "Null": null}),
        json!({"A": {"Ref": "AgentLogGroup"}, "B": {"Ref": "AWS::Region"}, "C": {"Ref": "Family"}}),
        json!({"List": ["a", {"Ref": "AWS::NoValue"}, {"Fn::Sub": "${Family}-${AWS::AccountId}"}]}),
        json!({"Gone": {"Ref": "AWS::NoValue"}, "Kept": {"Fn::If": ["C", "long text", "s"]}}),
        json!({"Fn::GetAtt": ["Role", "Arn"]}),
        json!({"Ref": "X", "Other": "not a function: two members"}),
        json!([]),
        json!({}),
    ] {
        assert_eq!(
            least_bytes(&value, &known),
            least_characters(&value, &known),
            "{value}"
        );
    }
    // And a typed container definition, counted without building it.
    let container = crate::generate::output_types::ContainerDefinition::new(
        "agent",
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/agent"}),
        true,
        crate::generate::output_types::LogConfiguration::awslogs(
            "AgentLogGroup",
            &crate::properties::log_delivery::LogDelivery {
                mode: json!("non-blocking"),
                max_buffer_size: None,
            },
        ),
    );
    let value = serde_json::to_value(&container).unwrap();
    assert_eq!(
        least_bytes(&container, &known),
        least_characters(&value, &known)
    );
    assert_eq!(
            least_bytes(&container, &known),
            r#"{"Name":"agent","Image":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/agent","Essential":true,"LogConfiguration":{"LogDriver":"awslogs","Options":{"awslogs-group":"/aws/ecs/agent","awslogs-region":"eu-west-1","awslogs-stream-prefix":"ecs","mode":"non-blocking"}}}"#.len()
        );
}

/// The bound that spares a task definition the exact count is never below that count.
#[test]
fn a_bounded_count_is_never_fewer_than_the_exact_one() {
    let context = ExpansionContext::new("us-isof-south-1", "123456789012");
    let resources = Map::new();
    let parameters = json!({"Family": {"Type": "String", "Default": "a-long-family-name"}});
    let scope = TemplateScope::new(&context, parameters.as_object(), &resources);
    let known = KnownValues::new(&scope, "AgentLogGroup", Some("/aws/ecs/a-long-log-group"));
    for value in [
        json!({"A": {"Fn::Sub": "${Family}-${AWS::AccountId}-${AgentLogGroup.Arn}"}}),
        json!({"A": {"Fn::Sub": "${!Literal}-$-${AWS::URLSuffix}-${Unknown}"}}),
        json!({"A": {"Fn::Sub": ["${X}", {"X": {"Ref": "Family"}}]}}),
        json!({"A": [{"Fn::Sub": "unclosed ${AWS::Region"}, {"Ref": "AgentLogGroup"}]}),
        json!({"A": {"Ref": "AWS::NoValue"}, "B": [{"Ref": "AWS::NoValue"}, {"Ref": "Family"}]}),
        json!({"A": {"Ref": "AWS::URLSuffix"}, "B": {"Ref": "AWS::Partition"}, "C": {"Ref": "X"}}),
        json!({"A": {"Ref": "AgentLogGroup"}, "B": {"Ref": ["not", "a", "name"]}}),
    ] {
        let exact = least_bytes(&value, &known);
        let bound = least_bytes(&value, &known.bounding());
        assert!(bound >= exact, "{value}: {bound} < {exact}");
    }
}
