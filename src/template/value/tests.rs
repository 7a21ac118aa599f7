use super::*;
use crate::template::arn::stack_arn_with_suffix;
use crate::template::context::ExpansionContext;
use crate::template::scope::TemplateScope;
use crate::template::sub::Piece;
use crate::template::sub::SubPart;
use crate::template::sub::build_sub;
use crate::template::sub::sub_parts;
use serde_json::json;

#[test]
fn a_parameter_store_types_default_is_a_name_not_its_value() {
    let parameters = json!({
        "Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ci/image"},
        "Plain": {"Type": "String", "Default": "ruby:3.3"}
    });
    let resources = Map::new();
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    let without_value = TemplateScope::new(&context, parameters.as_object(), &resources);
    assert_eq!(without_value.parameter_value("Image"), None);
    assert_eq!(without_value.sample_variable("Image"), None);
    assert_eq!(
        without_value.parameter_value("Plain"),
        Some(json!("ruby:3.3"))
    );
    assert!(without_value.is_parameter_store_parameter("Image"));
    context
        .parameter_values
        .insert("Image".into(), json!("ruby:3.4"));
    let with_value = TemplateScope::new(&context, parameters.as_object(), &resources);
    assert_eq!(with_value.parameter_value("Image"), Some(json!("ruby:3.4")));
}

#[test]
fn a_stack_arn_of_a_written_name_is_what_build_sub_makes_of_it() {
    for name in ["ci/token", "with-${braces}-in-it", ""] {
        let value = json!(name);
        let pieces = [
            Piece::Text("arn:"),
            Piece::Pseudo("AWS::Partition"),
            Piece::Text(":"),
            Piece::Text("ssm"),
            Piece::Text(":"),
            Piece::Pseudo("AWS::Region"),
            Piece::Text(":"),
            Piece::Pseudo("AWS::AccountId"),
            Piece::Text(":parameter/"),
            Piece::Value(&value),
            Piece::Text(":*"),
        ];
        assert_eq!(
            stack_arn_with_suffix("ssm", ":parameter/", &value, ":*"),
            build_sub(&pieces)
        );
    }
}

#[test]
fn same_value_is_equality_whatever_the_order_of_members() {
    let values = [
        json!({"Fn::Sub": "a"}),
        json!({"Fn::Sub": "b"}),
        json!({"Fn::Sub": ["a", {"X": 1, "Y": [2, {"Z": 3}]}]}),
        json!({"Fn::Sub": ["a", {"Y": [2, {"Z": 3}], "X": 1}]}),
        json!({"Fn::Sub": ["a", {"Y": [2, {"Z": 4}], "X": 1}]}),
        json!(["a", "b"]),
        json!(["a"]),
        json!("a"),
    ];
    for a in &values {
        for b in &values {
            assert_eq!(same_value(a, b), a == b, "{a} and {b}");
        }
    }
}

#[test]
fn recognises_intrinsics_by_their_single_key() {
    assert_eq!(intrinsic_name(&json!({"Ref": "X"})), Some("Ref"));
    assert_eq!(
        intrinsic_name(&json!({"Fn::GetAtt": ["A", "B"]})),
        Some("Fn::GetAtt")
    );
    assert_eq!(intrinsic_name(&json!({"Ref": "X", "Other": 1})), None);
    assert_eq!(intrinsic_name(&json!({"Name": "X"})), None);
    assert_eq!(intrinsic_name(&json!("Ref")), None);
}

#[test]
fn splits_sub_strings_into_text_and_variables() {
    assert_eq!(
        sub_parts("arn:${AWS::Partition}:x/${Name.Arn}${!Literal}-end").collect::<Vec<_>>(),
        vec![
            SubPart::Text("arn:"),
            SubPart::Variable("AWS::Partition"),
            SubPart::Text(":x/"),
            SubPart::Variable("Name.Arn"),
            SubPart::Text("${!Literal}"),
            SubPart::Text("-end"),
        ]
    );
    assert_eq!(
        sub_parts("a ${unclosed").collect::<Vec<_>>(),
        vec![SubPart::Text("a ${unclosed")]
    );
    assert_eq!(sub_parts("").collect::<Vec<_>>(), vec![]);
}

#[test]
fn builds_a_plain_string_when_every_piece_is_literal() {
    let family = json!("ruby");
    assert_eq!(
        build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&family)]),
        json!("/aws/ecs/ruby")
    );
}

#[test]
fn builds_the_simplest_sub_for_intrinsic_pieces() {
    let by_ref = json!({"Ref": "Family"});
    assert_eq!(
        build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&by_ref)]),
        json!({"Fn::Sub": "/aws/ecs/${Family}"})
    );
    let by_sub = json!({"Fn::Sub": "${AWS::StackName}-ci"});
    assert_eq!(
        build_sub(&[
            Piece::Pseudo("AWS::Partition"),
            Piece::Text(":"),
            Piece::Value(&by_sub)
        ]),
        json!({"Fn::Sub": "${AWS::Partition}:${AWS::StackName}-ci"})
    );
    let by_join = json!({"Fn::Join": ["-", ["a", "b"]]});
    assert_eq!(
        build_sub(&[Piece::Text("${literal}/"), Piece::Value(&by_join)]),
        json!({"Fn::Sub": ["${!literal}/${Value1}", {"Value1": by_join}]})
    );
}
