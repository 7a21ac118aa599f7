use super::*;
use crate::template::context::ExpansionContext;
use crate::template::scope::TemplateScope;
use serde_json::{Map, json};

/// Evaluates `value` in a template with these sections, in eu-west-1 of account 123456789012,
/// with parameter values `given`.
fn evaluate_in(sections: Value, given: Value, value: Value) -> Evaluated {
    let mut context = ExpansionContext::new("eu-west-1", "123456789012");
    context.parameter_values = given.as_object().cloned().unwrap_or_default();
    let empty = Map::new();
    let scope = TemplateScope {
        context: &context,
        parameters: sections.get("Parameters").and_then(Value::as_object),
        resources: sections
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(&empty),
        mappings: sections.get("Mappings").and_then(Value::as_object),
        conditions: sections.get("Conditions").and_then(Value::as_object),
    };
    scope.evaluate(&value)
}

fn template() -> Value {
    json!({
        "Parameters": {
            "Tag": {"Type": "String", "Default": "3.3"},
            "Secret": {"Type": "String"},
            "Unset": {"Type": "String"},
            "Arns": {"Type": "CommaDelimitedList", "Default": "arn:aws:iam::aws:policy/A,arn:aws:iam::aws:policy/B"},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Env": {"Type": "String", "Default": "prod"}
        },
        "Mappings": {
            "Images": {
                "prod": {"Name": "ruby:3.3", "Names": ["a", "b"]},
                "eu-west-1": {"Registry": "111111111111.dkr.ecr.eu-west-1.amazonaws.com"}
            }
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsNotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Either": {"Fn::Or": [{"Condition": "IsNotProd"}, {"Fn::Equals": [{"Ref": "Unset"}, "x"]}]},
            "Undecided": {"Fn::Equals": [{"Ref": "Unset"}, "x"]}
        },
        "Resources": {"Repository": {"Type": "AWS::ECR::Repository"}}
    })
}

fn evaluate(value: Value) -> Evaluated {
    evaluate_in(template(), json!({"Secret": "hunter2"}), value)
}

fn written(value: Value) -> Value {
    evaluate(value.clone())
        .into_text(&value)
        .unwrap()
        .to_value()
}

#[test]
fn literals_are_known_and_no_value_is_nothing() {
    assert_eq!(evaluate(json!("ruby")), Evaluated::Known(json!("ruby")));
    assert_eq!(evaluate(json!(3)), Evaluated::Known(json!(3)));
    assert_eq!(evaluate(json!({"Ref": "AWS::NoValue"})), Evaluated::NoValue);
    assert_eq!(
        evaluate(json!(["a", {"Ref": "AWS::NoValue"}])),
        Evaluated::Known(json!(["a"]))
    );
}

#[test]
fn join_and_sub_of_the_same_value_are_one_text() {
    let join = json!({"Fn::Join": ["", [
        {"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "AWS::Region"}, ".",
        {"Ref": "AWS::URLSuffix"}, "/ci:", {"Ref": "Tag"}
    ]]});
    let sub =
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ci:${Tag}"});
    assert_eq!(evaluate(join.clone()), evaluate(sub.clone()));
    assert_eq!(written(join.clone()), sub);
    assert_eq!(
        evaluate(join).sample().as_deref(),
        Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci:3.3")
    );
    // Both forms of Fn::Sub, and a Join of literals, fold alike.
    assert_eq!(
        evaluate(json!({"Fn::Sub": ["${A}-${B}", {"A": "x", "B": {"Ref": "Tag"}}]})),
        evaluate(json!({"Fn::Join": ["-", ["x", {"Ref": "Tag"}]]}))
    );
    assert_eq!(
        evaluate(json!({"Fn::Join": ["/", ["a", "b"]]})),
        Evaluated::Known(json!("a/b"))
    );
    assert_eq!(
        evaluate(json!({"Fn::Sub": "a${!Literal}"})),
        Evaluated::Known(json!("a${Literal}"))
    );
}

#[test]
fn holes_are_written_as_sub_variables() {
    assert_eq!(
        written(
            json!({"Fn::Join": ["", [{"Fn::GetAtt": ["Repository", "RepositoryUri"]}, ":3.3"]]})
        ),
        json!({"Fn::Sub": "${Repository.RepositoryUri}:3.3"})
    );
    assert_eq!(
        written(json!({"Fn::Join": ["/", [{"Ref": "Repository"}, {"Ref": "Unset"}]]})),
        json!({"Fn::Sub": "${Repository}/${Unset}"})
    );
    let import = json!({"Fn::ImportValue": "Shared-Image"});
    assert_eq!(
        written(json!({"Fn::Join": ["", [import.clone(), "${x}"]]})),
        json!({"Fn::Sub": ["${Value1}${!x}", {"Value1": import}]})
    );
    assert_eq!(
        evaluate(json!({"Fn::GetAtt": "Builder.Outputs.Image"})).sample(),
        None
    );
}

#[test]
fn a_parameter_value_is_read_but_never_written() {
    let value = json!({"Fn::Join": ["", ["arn:aws:ssm:::parameter/", {"Ref": "Secret"}]]});
    let evaluated = evaluate(value.clone());
    assert_eq!(
        evaluated.sample().as_deref(),
        Some("arn:aws:ssm:::parameter/hunter2")
    );
    let text = evaluated.into_text(&value).unwrap();
    assert!(text.has_known_expressions());
    let written = text.to_value().to_string();
    assert!(!written.contains("hunter2"), "{written}");
    assert_eq!(
        text.to_value(),
        json!({"Fn::Sub": "arn:aws:ssm:::parameter/${Secret}"})
    );
    // Split of a parameter: each item known, written as Select of the Split.
    let items = json!({"Fn::Select": [1, {"Fn::Split": ["n", {"Ref": "Secret"}]}]});
    let item = evaluate(items.clone());
    assert_eq!(item.sample().as_deref(), Some("ter2"));
    assert!(
        !item
            .into_text(&items)
            .unwrap()
            .to_value()
            .to_string()
            .contains("ter2")
    );
}

#[test]
fn list_parameters_are_lists_and_select_and_split_read_them() {
    let Evaluated::List(items) = evaluate(json!({"Ref": "Arns"})) else {
        panic!("a list")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1].sample().as_deref(),
        Some("arn:aws:iam::aws:policy/B")
    );
    assert_eq!(
        items[1].clone().into_text(&Value::Null).unwrap().to_value(),
        json!({"Fn::Select": [1, {"Ref": "Arns"}]})
    );
    assert_eq!(
        evaluate(json!({"Fn::Select": [0, {"Ref": "Arns"}]}))
            .sample()
            .as_deref(),
        Some("arn:aws:iam::aws:policy/A")
    );
    // A list parameter without a value: a list of unknown length.
    assert_eq!(evaluate(json!({"Ref": "Subnets"})), Evaluated::Unknown);
    assert_eq!(
        evaluate(json!({"Fn::Split": [",", "a,b,c"]})),
        Evaluated::Known(json!(["a", "b", "c"]))
    );
    assert_eq!(
        evaluate(json!({"Fn::Select": ["2", {"Fn::Split": [",", "a,b,c"]}]})),
        Evaluated::Known(json!("c"))
    );
    // Split of text with a hole: the items before the hole are known, the rest are not. A
    // repository of the stack is in its region and account (CDK's repositoryUriForTag).
    let arn = json!({"Fn::GetAtt": ["Repository", "Arn"]});
    let Evaluated::Leading(leading) = evaluate(json!({"Fn::Split": [":", arn]})) else {
        panic!("the items before the hole")
    };
    assert_eq!(leading.len(), 5);
    assert_eq!(leading[2], Evaluated::Known(json!("ecr")));
    let region = evaluate(json!({"Fn::Select": [3, {"Fn::Split": [":", arn]}]}));
    assert_eq!(region.sample().as_deref(), Some("eu-west-1"));
    assert_eq!(
        region.into_text(&Value::Null).unwrap().to_value(),
        json!({"Ref": "AWS::Region"})
    );
    assert_eq!(
        evaluate(json!({"Fn::Select": [5, {"Fn::Split": [":", arn]}]})),
        Evaluated::Unknown
    );
    let import = json!({"Fn::ImportValue": "x"});
    assert_eq!(
        evaluate(json!({"Fn::Select": [0, {"Fn::Split": [":", import]}]})),
        Evaluated::Unknown
    );
    // Split of a list is refused by CloudFormation.
    assert_eq!(
        evaluate(json!({"Fn::Split": [",", ["a", "b"]]})),
        Evaluated::Unknown
    );
}

#[test]
fn select_keeps_to_its_bounds() {
    assert_eq!(
        evaluate(json!({"Fn::Select": [3, ["a", "b", "c"]]})),
        Evaluated::Unknown
    );
    assert_eq!(
        evaluate(json!({"Fn::Select": [-1, ["a"]]})),
        Evaluated::Unknown
    );
    assert_eq!(evaluate(json!({"Fn::Select": [0, []]})), Evaluated::Unknown);
    assert_eq!(
        evaluate(json!({"Fn::Select": [{"Ref": "Unset"}, ["a"]]})),
        Evaluated::Unknown
    );
    // Unknown as a whole is a hole where text is read.
    let value = json!({"Fn::Join": ["", [{"Fn::Select": [4, {"Fn::Split": [":", {"Fn::ImportValue": "arn"}]}]}, ".dkr.ecr"]]});
    let Evaluated::Text(text) = evaluate(value) else {
        panic!("text")
    };
    assert!(text.has_holes());
}

#[test]
fn find_in_map_reads_mappings_and_defaults() {
    assert_eq!(
        evaluate(json!({"Fn::FindInMap": ["Images", "prod", "Name"]})),
        Evaluated::Known(json!("ruby:3.3"))
    );
    // Chosen by a parameter: known, written as the FindInMap.
    let chosen = json!({"Fn::FindInMap": ["Images", {"Ref": "Env"}, "Name"]});
    let evaluated = evaluate(chosen.clone());
    assert_eq!(evaluated.sample().as_deref(), Some("ruby:3.3"));
    assert_eq!(
        evaluated.into_text(&chosen).unwrap().to_value(),
        chosen,
        "one expression is written as itself"
    );
    let by_region = json!({"Fn::FindInMap": ["Images", {"Ref": "AWS::Region"}, "Registry"]});
    assert_eq!(
        evaluate(by_region).sample().as_deref(),
        Some("111111111111.dkr.ecr.eu-west-1.amazonaws.com")
    );
    assert_eq!(
        evaluate(json!({"Fn::FindInMap": ["Images", "test", "Name", {"DefaultValue": "ruby:3"}]})),
        Evaluated::Known(json!("ruby:3"))
    );
    assert_eq!(
        evaluate(json!({"Fn::FindInMap": ["Images", "test", "Name"]})),
        Evaluated::Unknown
    );
    assert_eq!(
        evaluate(json!({"Fn::FindInMap": ["Images", {"Ref": "Unset"}, "Name"]})),
        Evaluated::Unknown
    );
    let Evaluated::List(names) =
        evaluate(json!({"Fn::FindInMap": ["Images", {"Ref": "Env"}, "Names"]}))
    else {
        panic!("a list")
    };
    assert_eq!(names[1].sample().as_deref(), Some("b"));
}

#[test]
fn if_is_decided_where_parameters_decide_its_condition() {
    let value = |condition: &str| json!({"Fn::If": [condition, "yes", "no"]});
    assert_eq!(evaluate(value("IsProd")), Evaluated::Known(json!("yes")));
    assert_eq!(evaluate(value("IsNotProd")), Evaluated::Known(json!("no")));
    // An Or with one side undecided but the other false stays undecided.
    assert_eq!(evaluate(value("Either")), Evaluated::Unknown);
    assert_eq!(evaluate(value("Undecided")), Evaluated::Unknown);
    assert_eq!(evaluate(value("Missing")), Evaluated::Unknown);
    let decided = evaluate_in(
        template(),
        json!({"Env": "test"}),
        json!({"Fn::Join": ["", ["a", {"Fn::If": ["IsProd", "b", {"Ref": "AWS::NoValue"}]}]]}),
    );
    assert_eq!(decided, Evaluated::Known(json!("a")));
}

#[test]
fn nesting_folds_and_depth_is_bounded() {
    let nested = json!({"Fn::Join": ["", [
        {"Fn::Select": [0, {"Fn::Split": ["/", {"Fn::Sub": "${AWS::Partition}/x"}]}]},
        "-",
        {"Fn::FindInMap": ["Images", {"Fn::If": ["IsProd", "prod", "test"]}, "Name"]}
    ]]});
    assert_eq!(evaluate(nested).sample().as_deref(), Some("aws-ruby:3.3"));
    let mut deep = json!("x");
    for _ in 0..100 {
        deep = json!({"Fn::Join": ["", [deep]]});
    }
    // Past the depth bound the rest is unknown: a hole, never a guess.
    assert_eq!(evaluate(deep).sample(), None);
}

#[test]
fn text_splits_outside_its_holes() {
    let value = json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket.Arn}/a:b/c"});
    let Evaluated::Text(text) = evaluate(value) else {
        panic!("text")
    };
    let fields = text.split(':', 6);
    assert_eq!(fields.len(), 6);
    assert_eq!(fields[2].as_literal(), Some("s3"));
    assert_eq!(
        fields[5].to_value(),
        json!({"Fn::Sub": "${Bucket.Arn}/a:b/c"})
    );
    let paths = fields[5].split('/', usize::MAX);
    assert_eq!(paths.len(), 3);
    assert_eq!(paths[2].as_literal(), Some("c"));
}

#[test]
fn sub_names_trim_and_mapping_keys_may_be_numbers() {
    assert_eq!(
        evaluate(json!({"Fn::Sub": "${ Tag }"})).sample().as_deref(),
        Some("3.3")
    );
    let sections = json!({"Mappings": {"Sizes": {"1": {"Cpu": "256"}}}});
    assert_eq!(
        evaluate_in(
            sections,
            json!({}),
            json!({"Fn::FindInMap": ["Sizes", 1, "Cpu"]})
        ),
        Evaluated::Known(json!("256"))
    );
}

#[test]
fn the_written_form_is_the_sub_twin_and_never_holds_a_value() {
    let in_template = |value: Value| {
        let mut context = ExpansionContext::new("eu-west-1", "123456789012");
        context.parameter_values = json!({"Secret": "hunter2"}).as_object().cloned().unwrap();
        let sections = template();
        let empty = Map::new();
        let scope = TemplateScope {
            context: &context,
            parameters: sections.get("Parameters").and_then(Value::as_object),
            resources: sections["Resources"].as_object().unwrap_or(&empty),
            mappings: sections.get("Mappings").and_then(Value::as_object),
            conditions: sections.get("Conditions").and_then(Value::as_object),
        };
        scope.written_form(&value).into_owned()
    };
    let sub = json!({"Fn::Sub": "x-${Secret}"});
    assert_eq!(in_template(sub.clone()), sub, "a Sub is read as written");
    assert_eq!(
        in_template(json!({"Fn::Join": ["-", ["x", {"Ref": "Secret"}]]})),
        sub
    );
    assert_eq!(
        in_template(json!({"Fn::Join": ["", ["a", "b"]]})),
        json!("ab")
    );
    assert_eq!(
        in_template(json!({"Fn::Select": [0, [{"Ref": "Repository"}]]})),
        json!({"Ref": "Repository"})
    );
    // Known here but written as an expression: a Sub of it, which a reader samples.
    let by_region = json!({"Fn::FindInMap": ["Images", {"Ref": "AWS::Region"}, "Registry"]});
    assert_eq!(
        in_template(by_region.clone()),
        json!({"Fn::Sub": ["${Value1}", {"Value1": by_region}]})
    );
}
