use super::*;
use crate::template::context::ExpansionContext;

fn read(value: Value) -> Result<SigningKey, String> {
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context.parameter_values.insert(
        "KeyArn".into(),
        json!("arn:aws:kms:eu-west-1:210987654321:alias/ci-signing"),
    );
    let parameters = json!({"KeyArn": {"Type": "String"}, "Unset": {"Type": "String"}});
    let resources = json!({"Key": {"Type": "AWS::KMS::Key"}, "Alias": {"Type": "AWS::KMS::Alias"}});
    let scope = TemplateScope::new(
        &context,
        Some(parameters.as_object().unwrap()),
        resources.as_object().unwrap(),
    );
    signing_key(&value, &scope)
}

const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn a_key_is_granted_the_two_actions_on_its_arn() {
    let by_id = read(json!(ID)).unwrap();
    assert_eq!(by_id.agent_value, json!(ID));
    assert_eq!(
        by_id.statement["Resource"],
        json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{ID}")})
    );
    assert_eq!(by_id.statement["Action"], json!(SIGNING_ACTIONS));
    let by_arn = read(json!(format!(
        "arn:aws:kms:eu-west-1:210987654321:key/{ID}"
    )))
    .unwrap();
    assert_eq!(
        by_arn.statement["Resource"],
        json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:kms:eu-west-1:210987654321:key/{ID}")})
    );
    let of_template = read(json!({"Ref": "Key"})).unwrap();
    assert_eq!(
        of_template.agent_value,
        json!({"Fn::GetAtt": ["Key", "Arn"]})
    );
    assert_eq!(
        of_template.statement["Resource"],
        json!({"Fn::GetAtt": ["Key", "Arn"]})
    );
}

#[test]
fn an_alias_is_granted_on_the_key_that_has_it() {
    let alias = read(json!("alias/ci-signing")).unwrap();
    assert_eq!(
        alias.statement["Condition"],
        json!({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/ci-signing"}})
    );
    assert_eq!(
        alias.statement["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"})
    );
    let by_parameter = read(json!({"Ref": "KeyArn"})).unwrap();
    let text = by_parameter.statement.to_string();
    assert!(
        !text.contains("210987654321"),
        "the value is not written: {text}"
    );
    assert!(text.contains("kms:ResourceAliases"));
    let by_resource = read(json!({"Ref": "Alias"})).unwrap();
    assert_eq!(
        by_resource.statement["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"],
        json!({"Ref": "Alias"})
    );
}

#[test]
fn what_names_no_key_is_refused() {
    for value in [
        json!("alias/aws/ssm"),
        json!("not-a-key"),
        json!("arn:aws:s3:::bucket"),
        json!({"Fn::ImportValue": "key"}),
        json!({"Ref": "Unset"}),
    ] {
        assert!(read(value.clone()).is_err(), "{value}");
    }
    for managed in [
        json!("alias/aws/ssm"),
        json!("arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm"),
        json!({"Fn::Sub": "alias/aws/${Service}"}),
    ] {
        let why = read(managed.clone()).unwrap_err();
        assert!(
            why.contains("AWS managed key") && !why.contains("is not"),
            "{managed}: {why}"
        );
    }
    assert!(
        read(json!("arn:aws-cn:kms:cn-north-1:123456789012:alias/x"))
            .unwrap_err()
            .contains("partition")
    );
}
