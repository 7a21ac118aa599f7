//! The execution role's grants as a whole template expands them: each KMS key resource and
//! service written once, and the `!Sub` forms an error message suggests expanding.

use buildkite_ecs_macro::template::yaml::parse_template;
use buildkite_ecs_macro::{ExpansionContext, Problems, expand};
use serde_json::{Value, json};

fn expand_yaml(text: &str) -> Result<Value, Problems> {
    expand(
        parse_template(text).expect("the template reads"),
        &ExpansionContext::new("us-east-1", "123456789012"),
    )
}

/// The statements of the `ReadAgentSecrets` policy of `AgentExecutionRole`.
fn statements(expanded: &Value) -> Vec<Value> {
    let policies = &expanded["Resources"]["AgentExecutionRole"]["Properties"]["Policies"];
    assert_eq!(policies[0]["PolicyName"], "ReadAgentSecrets");
    policies[0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .clone()
}

fn statement(expanded: &Value, sid: &str) -> Value {
    statements(expanded)
        .into_iter()
        .find(|statement| statement["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

#[test]
fn a_key_and_a_service_that_several_secrets_share_are_written_once() {
    // A name and a literal ARN of the stack's own region and account decrypt through the same
    // key resource and service: once written with ${AWS::Region}, once resolved, they were
    // written twice.
    let expanded = expand_yaml(
        "Resources:
  Agent:
    Type: Buildkite::ECS::TaskDefinition
    Properties:
      Image: buildkite/agent:3
      BuildkiteAgentTokenParameterPath: /ci/token
      Secrets:
        - {Name: HERE, ValueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/ci/here}
        - {Name: ALSO_HERE, ValueFrom: !Sub 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ci/also'}
        - {Name: THERE, ValueFrom: arn:aws:ssm:eu-west-1:123456789012:parameter/ci/there}
        - {Name: DB, ValueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123}
",
    )
    .unwrap();
    let decrypt = statement(&expanded, "DecryptThroughThoseServices");
    assert_eq!(
        decrypt["Resource"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"},
            {"Fn::Sub": "arn:${AWS::Partition}:kms:eu-west-1:${AWS::AccountId}:key/*"}
        ])
    );
    assert_eq!(
        decrypt["Condition"],
        json!({"StringEquals": {"kms:ViaService": [
            {"Fn::Sub": "ssm.${AWS::Region}.${AWS::URLSuffix}"},
            {"Fn::Sub": "ssm.eu-west-1.${AWS::URLSuffix}"},
            {"Fn::Sub": "secretsmanager.${AWS::Region}.${AWS::URLSuffix}"}
        ]}})
    );
    assert_eq!(
        statement(&expanded, "ReadParameters")["Resource"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "every parameter is still granted, as written"
    );
}

#[test]
fn the_sub_forms_a_refusal_suggests_expand() {
    let refused = expand_yaml(
        "Resources:
  Agent:
    Type: Buildkite::ECS::TaskDefinition
    Properties:
      Image: buildkite/agent:3
      Secrets:
        - {Name: SHARED, ValueFrom: !ImportValue shared-secret}
",
    )
    .unwrap_err();
    let message = refused.iter().next().unwrap().message.clone();
    // Every `!Sub [...]` the message suggests, with the imported value as its variable.
    let suggestions: Vec<&str> = message
        .match_indices("!Sub [")
        .map(|(start, _)| {
            let end = message[start..].find("}]").expect("a closed suggestion") + start + 2;
            &message[start..end]
        })
        .collect();
    assert_eq!(suggestions.len(), 2, "{message}");
    let mut stores = Vec::new();
    for suggestion in suggestions {
        let written = suggestion.replace("...", "!ImportValue shared-secret");
        let template = format!(
            "Resources:\n  Agent:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: buildkite/agent:3\n      Secrets:\n        - Name: SHARED\n          ValueFrom: {written}\n"
        );
        let expanded =
            expand_yaml(&template).unwrap_or_else(|problems| panic!("{written}: {problems}"));
        let granted: Vec<String> = statements(&expanded)
            .iter()
            .filter(|statement| statement["Sid"] != "DecryptThroughThoseServices")
            .map(|statement| statement["Action"].as_str().unwrap().to_owned())
            .collect();
        stores.push(granted);
    }
    assert_eq!(
        stores,
        [
            vec!["ssm:GetParameters".to_owned()],
            vec![
                "ssm:GetParameters".to_owned(),
                "secretsmanager:GetSecretValue".to_owned()
            ]
        ],
        "one suggestion reads an SSM parameter, the other a Secrets Manager secret (beside the token)"
    );
}

#[test]
fn an_ssh_agent_backend_given_as_its_invoke_url_is_granted_in_the_stacks_own_account() {
    let expanded = expand_yaml(
        "Resources:\n  Agent:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: buildkite/agent:3\n      SshAgentBackend: https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod\n",
    )
    .unwrap_or_else(|problems| panic!("{problems}"));
    let policies = &expanded["Resources"]["AgentTaskRole"]["Properties"]["Policies"];
    let invoke = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|policy| policy["PolicyName"] == "InvokeSshAgentBackend")
        .expect("the task role may invoke the backend");
    assert_eq!(
        invoke["PolicyDocument"]["Statement"][0]["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:eu-west-1:${AWS::AccountId}:abc123defg/prod/*/*"})
    );
    let containers =
        &expanded["Resources"]["AgentTaskDefinition"]["Properties"]["ContainerDefinitions"];
    let ssh_agent = containers
        .as_array()
        .unwrap()
        .iter()
        .find(|container| container["Name"] == "ssh-agent")
        .expect("an ssh-agent container");
    assert!(
        ssh_agent["Environment"].to_string().contains(
            r#"{"Fn::Sub":"https://abc123defg.execute-api.eu-west-1.${AWS::URLSuffix}/prod"}"#
        ),
        "{}",
        ssh_agent["Environment"]
    );
}
