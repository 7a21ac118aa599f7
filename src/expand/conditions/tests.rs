use super::*;

fn branching(conditions: &[&str]) -> Branching {
    Branching {
        conditions: conditions.iter().map(|c| (*c).to_owned()).collect(),
        meets_fn_if: !conditions.is_empty(),
    }
}

#[test]
fn resolving_picks_each_branch_and_drops_a_key_left_without_a_value() {
    let properties = json!({
        "Image": {"Fn::If": ["A", "a:1", {"Fn::If": ["B", "b:1", "c:1"]}]},
        "TaskRoleArn": {"Fn::If": ["A", {"Ref": "AWS::NoValue"}, "arn"]},
        "Secrets": [{"Fn::If": ["B", {"Name": "X", "ValueFrom": "x"}, {"Ref": "AWS::NoValue"}]}],
        "Inside": {"Fn::Join": ["", [{"Fn::If": ["A", "x", "y"]}]]},
        "TaskRolePolicies": [{"PolicyName": "P", "PolicyDocument": {"Fn::If": ["A", {}, {}]}}]
    });
    let properties = properties.as_object().unwrap();
    let both = branching(&["A", "B"]);
    let resolved: Vec<Value> = both
        .assignments()
        .map(|a| Value::Object(resolve_map(properties, &a).into_owned()))
        .collect();
    assert_eq!(resolved[0]["Image"], "a:1");
    assert!(resolved[0].get("TaskRoleArn").is_none());
    assert_eq!(resolved[0]["Secrets"][0]["Name"], "X");
    assert_eq!(resolved[2]["Image"], "b:1");
    assert_eq!(resolved[3]["Image"], "c:1");
    assert_eq!(resolved[3]["TaskRoleArn"], "arn");
    assert_eq!(resolved[3]["Secrets"][0], json!({"Ref": "AWS::NoValue"}));
    // Inside another function and in a policy document, as written.
    assert_eq!(resolved[3]["Inside"], properties["Inside"]);
    assert_eq!(
        resolved[3]["TaskRolePolicies"],
        properties["TaskRolePolicies"]
    );
}

#[test]
fn collecting_names_each_condition_once_and_refuses_what_cannot_branch() {
    let known = json!({"A": {}, "B": {}});
    let mut found = Branching::default();
    let mut problems = Problems::new();
    let value = json!([
        {"Fn::If": ["A", {"Fn::If": ["B", 1, 2]}, 3]},
        {"Fn::If": ["A", 1, 2]},
        {"Fn::If": ["Missing", 1, 2]},
        {"Fn::If": ["A", 1]},
        {"Fn::If": ["B", 1, {"Fn::If": ["A", 1]}]}
    ]);
    found.collect(
        &value,
        &crate::template::place::Trail::start("Resources.X.Properties.L"),
        known.as_object(),
        &mut problems,
    );
    assert_eq!(found.conditions, ["A", "B", "Missing"]);
    assert_eq!(
        problems.to_string(),
        "Buildkite-Agents found 3 problems in the template:\n\
             Resources.X.Properties.L[2]: Fn::If names condition Missing, which the template's Conditions section does not declare\n\
             Resources.X.Properties.L[3]: Fn::If takes [a condition name, the value when it holds, the value when it does not]\n\
             Resources.X.Properties.L[4].Fn::If[2]: Fn::If takes [a condition name, the value when it holds, the value when it does not]"
    );
}

#[test]
fn joining_keeps_what_is_the_same_and_branches_where_it_differs() {
    let a = json!({
        "Image": "a",
        "EntryPoint": ["/buildkite/bin/buildkite-agent"],
        "Environment": [{"Name": "Q", "Value": "deploy"}, {"Name": "R", "Value": "yes"}],
        "VolumesFrom": [{"SourceContainer": "agent-init"}],
        "Resource": ["token", "secret"]
    });
    let b = json!({
        "Image": "a",
        "EntryPoint": ["buildkite-agent"],
        "Environment": [{"Name": "Q", "Value": "build"}],
        "Resource": ["token"]
    });
    let no_value = json!({"Ref": "AWS::NoValue"});
    assert_eq!(
        join_two("C", a, b),
        json!({
            "Image": "a",
            "EntryPoint": {"Fn::If": ["C", ["/buildkite/bin/buildkite-agent"], ["buildkite-agent"]]},
            "Environment": [
                {"Name": "Q", "Value": {"Fn::If": ["C", "deploy", "build"]}},
                {"Fn::If": ["C", {"Name": "R", "Value": "yes"}, no_value]}
            ],
            "VolumesFrom": {"Fn::If": ["C", [{"SourceContainer": "agent-init"}], no_value]},
            "Resource": ["token", {"Fn::If": ["C", "secret", no_value]}]
        })
    );
    // Functions are never joined inside.
    assert_eq!(
        join_two("C", json!({"Fn::Sub": "a"}), json!({"Fn::Sub": "b"})),
        json!({"Fn::If": ["C", {"Fn::Sub": "a"}, {"Fn::Sub": "b"}]})
    );
}

#[test]
fn a_resource_on_some_branches_only_gets_where_it_exists() {
    let both = branching(&["UseOwnRole", "IsProduction"]);
    let role = || ("XTaskRole".to_owned(), json!({"Type": "AWS::IAM::Role"}));
    let task = || {
        (
            "XTaskDefinition".to_owned(),
            json!({"Type": "AWS::ECS::TaskDefinition"}),
        )
    };
    // UseOwnRole true: no task role; false: one.
    let joined = join_resources(
        &both,
        vec![
            vec![task()],
            vec![task()],
            vec![task(), role()],
            vec![task(), role()],
        ],
    );
    let presence: Vec<(&str, &Presence)> =
        joined.iter().map(|(id, _, p)| (id.as_str(), p)).collect();
    assert_eq!(
        presence,
        [
            ("XTaskDefinition", &Presence::Always),
            (
                "XTaskRole",
                &Presence::When(json!({"Fn::Not": [{"Condition": "UseOwnRole"}]}))
            )
        ]
    );
    // Only when both hold.
    let joined = join_resources(
        &both,
        vec![
            vec![task(), role()],
            vec![task()],
            vec![task()],
            vec![task()],
        ],
    );
    assert_eq!(
        joined[1].2,
        Presence::When(
            json!({"Fn::And": [{"Condition": "UseOwnRole"}, {"Condition": "IsProduction"}]})
        )
    );
}

#[test]
fn a_problem_on_some_branches_names_the_fewest_conditions_that_show_it() {
    let three = branching(&["A", "B", "C"]);
    assert_eq!(three.when(&[0, 1, 2, 3, 4, 5, 6, 7]), "");
    assert_eq!(three.when(&[0, 1, 2, 3]), " (when A is true)");
    assert_eq!(three.when(&[2, 3, 6, 7]), " (when B is false)");
    assert_eq!(
        three.when(&[3]),
        " (when A is true and B is false and C is false)"
    );
    assert_eq!(three.when(&[1, 5]), " (when B is true and C is false)");
}
