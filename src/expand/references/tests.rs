use super::*;

fn targets() -> HashMap<String, ReferenceTarget> {
    HashMap::from([(
        "Ruby".to_owned(),
        ReferenceTarget {
            ids: GeneratedIds::new("Ruby", true),
            task_role_arn: Some(json!({"Fn::GetAtt": ["RubyTaskRole", "Arn"]})),
            execution_role_arn: Some(json!({"Fn::GetAtt": ["RubyExecutionRole", "Arn"]})),
            task_role_name: Ok(None),
            execution_role_name: Ok(None),
            family: Some(json!({"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]})),
            meets_fn_if: false,
        },
    )])
}

fn by_name(targets: &HashMap<String, ReferenceTarget>) -> HashMap<&str, &ReferenceTarget> {
    targets
        .iter()
        .map(|(name, target)| (name.as_str(), target))
        .collect()
}

fn rewritten(mut value: Value) -> (Value, String) {
    let targets = targets();
    let targets = by_name(&targets);
    let mut problems = Problems::new();
    let mut rewriter = ReferenceRewriter::new(&targets, &mut problems);
    rewriter.rewrite_resource(
        &mut value,
        &crate::template::place::Trail::start("Resources.Y"),
    );
    (
        value,
        if problems.is_empty() {
            String::new()
        } else {
            problems.to_string()
        },
    )
}

#[test]
fn refs_get_atts_and_depends_on_point_at_the_generated_resources() {
    let (value, problems) = rewritten(json!({
        "DependsOn": ["Ruby", "Other"],
        "Properties": {
            "A": {"Ref": "Ruby"},
            "B": {"Fn::GetAtt": ["Ruby", "TaskRoleArn"]},
            "C": {"Fn::GetAtt": "Ruby.LogGroupArn"},
            "D": [{"Fn::GetAtt": ["Ruby", "Family"]}, {"Ref": "Other"}],
            "E": {"Fn::If": ["Cond", {"Fn::GetAtt": ["Ruby", "ExecutionRoleArn"]}, {"Ref": "AWS::NoValue"}]}
        }
    }));
    assert_eq!(problems, "");
    assert_eq!(
        value,
        json!({
            "DependsOn": ["RubyTaskDefinition", "Other"],
            "Properties": {
                "A": {"Ref": "RubyTaskDefinition"},
                "B": {"Fn::GetAtt": ["RubyTaskRole", "Arn"]},
                "C": {"Fn::GetAtt": ["RubyLogGroup", "Arn"]},
                "D": [{"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]}, {"Ref": "Other"}],
                "E": {"Fn::If": ["Cond", {"Fn::GetAtt": ["RubyExecutionRole", "Arn"]}, {"Ref": "AWS::NoValue"}]}
            }
        })
    );
}

#[test]
fn sub_strings_are_rewritten_unless_shadowed() {
    let (value, problems) = rewritten(json!({
        "A": {"Fn::Sub": "${Ruby} ${Ruby.TaskRoleArn} ${Ruby.LogGroupName} ${!Ruby} ${Other}"},
        "B": {"Fn::Sub": ["${Ruby}", {"Ruby": "mine"}]},
        "C": {"Fn::Sub": "family ${Ruby.Family}"},
        "D": {"Fn::Sub": ["${Ruby} ${V}", {"V": {"Ref": "Ruby"}}]}
    }));
    assert_eq!(problems, "");
    assert_eq!(
        value,
        json!({
            "A": {"Fn::Sub": "${RubyTaskDefinition} ${RubyTaskRole.Arn} ${RubyLogGroup} ${!Ruby} ${Other}"},
            "B": {"Fn::Sub": ["${Ruby}", {"Ruby": "mine"}]},
            "C": {"Fn::Sub": ["family ${RubyFamily}", {"RubyFamily": {"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]}}]},
            "D": {"Fn::Sub": ["${RubyTaskDefinition} ${V}", {"V": {"Ref": "RubyTaskDefinition"}}]}
        })
    );
}

#[test]
fn a_sub_left_with_no_variable_is_its_plain_text() {
    let targets = HashMap::from([(
        "Agent".to_owned(),
        ReferenceTarget {
            ids: GeneratedIds::new("Agent", true),
            task_role_arn: Some(json!({"Fn::GetAtt": ["AgentTaskRole", "Arn"]})),
            execution_role_arn: Some(json!({"Fn::GetAtt": ["AgentExecutionRole", "Arn"]})),
            task_role_name: Ok(None),
            execution_role_name: Ok(None),
            family: Some(json!("buildkite-medium")),
            meets_fn_if: false,
        },
    )]);
    let mut problems = Problems::new();
    let mut value = json!({
        "A": {"Fn::Sub": "${Agent.Family}"},
        "B": {"Fn::Sub": "queue=${Agent.Family} ${!Literal}"},
        "C": {"Fn::Sub": "${Agent.Family}-${AWS::Region}"},
        "D": {"Fn::Sub": ["${Agent.Family}", {"Unused": "x"}]},
        "E": {"Fn::Sub": "untouched"}
    });
    ReferenceRewriter::new(&by_name(&targets), &mut problems)
        .rewrite(&mut value, &crate::template::place::Trail::start("Outputs"));
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(
        value,
        json!({
            "A": "buildkite-medium",
            "B": "queue=buildkite-medium ${Literal}",
            "C": {"Fn::Sub": "buildkite-medium-${AWS::Region}"},
            "D": {"Fn::Sub": ["buildkite-medium", {"Unused": "x"}]},
            "E": {"Fn::Sub": "untouched"}
        })
    );
}

#[test]
fn a_sub_variable_shadows_only_its_very_name() {
    // As in CloudFormation: a variable `Ruby` does not make `${Ruby.Family}` local.
    let (value, problems) = rewritten(json!({
        "A": {"Fn::Sub": ["${Ruby.TaskDefinitionArn} ${Ruby}", {"Ruby": "mine"}]}
    }));
    assert_eq!(problems, "");
    assert_eq!(
        value,
        json!({"A": {"Fn::Sub": ["${RubyTaskDefinition} ${Ruby}", {"Ruby": "mine"}]}})
    );
}

#[test]
fn an_unknown_attribute_is_a_problem_at_its_place() {
    let (_, problems) = rewritten(
        json!({"Properties": {"A": {"Fn::GetAtt": ["Ruby", "Arn"]}, "B": {"Fn::Sub": "${Ruby.Familly}"}}}),
    );
    assert!(problems.contains("Resources.Y.Properties.A: Ruby is a Buildkite task definition, which has no attribute Arn"), "{problems}");
    assert!(problems.contains("Resources.Y.Properties.B: Ruby is a Buildkite task definition, which has no attribute Familly; did you mean Family?"), "{problems}");
}

#[test]
fn a_for_each_fragment_of_resources_is_read_as_resources() {
    // For AWS::LanguageExtensions listed after the macro: its copies depend on what Ruby became.
    let targets = targets();
    let targets = by_name(&targets);
    let mut problems = Problems::new();
    let mut entry = json!(["Name", ["A", "B"], {
        "${Name}Topic": {"Type": "AWS::SNS::Topic", "DependsOn": ["Ruby", "${Name}Queue"]},
        "Fn::ForEach::Inner": ["X", ["1"], {"${Name}${X}": {"DependsOn": "Ruby"}}]
    }]);
    ReferenceRewriter::new(&targets, &mut problems).rewrite_resources_entry(
        "Fn::ForEach::Topics",
        &mut entry,
        &crate::template::place::Trail::start("Resources.Fn::ForEach::Topics"),
    );
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(
        entry,
        json!(["Name", ["A", "B"], {
            "${Name}Topic": {"Type": "AWS::SNS::Topic", "DependsOn": ["RubyTaskDefinition", "${Name}Queue"]},
            "Fn::ForEach::Inner": ["X", ["1"], {"${Name}${X}": {"DependsOn": "RubyTaskDefinition"}}]
        }])
    );
}
