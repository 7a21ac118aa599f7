use super::*;
use crate::features::secrets::reading::TOKEN_IN_SECRETS_MANAGER;
use crate::features::secrets::reading::secret_of_any_form;
use crate::template::context::ExpansionContext;
use crate::template::scope::TemplateScope;
use serde_json::{Map, Value, json};

fn scope_with<'a>(
    context: &'a ExpansionContext,
    parameters: &'a Map<String, Value>,
    resources: &'a Map<String, Value>,
) -> TemplateScope<'a> {
    TemplateScope::new(context, Some(parameters), resources)
}

/// `read` with a scope of the stack us-east-1/123456789012, two parameters with values
/// (`TokenArn` a Secrets Manager ARN, `TokenName` a path), one without (`Unset`), and a
/// few resources.
fn in_scope<T>(read: impl FnOnce(&TemplateScope<'_>) -> T) -> T {
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context.parameter_values.insert(
        "TokenArn".into(),
        json!("arn:aws:secretsmanager:eu-west-1:210987654321:secret:t-AbCdEf"),
    );
    context
        .parameter_values
        .insert("TokenName".into(), json!("/ci/token"));
    let parameters = json!({"TokenArn": {"Type": "String"}, "TokenName": {"Type": "String"}, "Unset": {"Type": "String"}, "FromStore": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ci/token-location"}});
    let resources = json!({
        "Db": {"Type": "AWS::SecretsManager::Secret"},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/ci/p"}},
        "NamedBySub": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-token"}}},
        "Bucket": {"Type": "AWS::S3::Bucket"}
    });
    read(&scope_with(
        &context,
        parameters.as_object().unwrap(),
        resources.as_object().unwrap(),
    ))
}

fn grant(value_from: Value) -> Result<SecretGrant, String> {
    in_scope(|scope| grant_for(&value_from, scope))
}

fn token(value: Value) -> Result<SecretGrant, String> {
    in_scope(|scope| agent_token_grant(&value, scope))
}

/// Every resource a grant reads.
fn resources(grant: &SecretGrant) -> Vec<Value> {
    std::iter::once(&grant.resource)
        .chain(grant.partial.as_deref())
        .cloned()
        .collect()
}

/// The one resource a grant reads.
fn only(grant: &SecretGrant) -> Value {
    assert_eq!(grant.partial, None, "{grant:?}");
    grant.resource.clone()
}

#[test]
fn ssm_names_and_paths_become_parameter_arns_in_the_stack_account() {
    assert_eq!(
        only(&grant(json!("token")).unwrap()),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/token"})
    );
    let path = grant(json!("/ci/token")).unwrap();
    assert_eq!(path.store, SecretStore::Ssm);
    assert_eq!(
        only(&path),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ci/token"})
    );
    assert_eq!(
        only(&grant(json!({"Ref": "TokenName"})).unwrap()),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TokenName}"}),
        "the parameter's value starts with a slash, so none is added, and the value stays a Ref"
    );
}

#[test]
fn secrets_manager_selectors_are_cut_and_partial_names_widened_by_six_characters() {
    let selected = grant(json!(
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123:password::"
    ))
    .unwrap();
    assert_eq!(
        resources(&selected),
        vec![
            json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123"),
            json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123-??????")
        ],
        "the six characters may be AWS's or the name's own"
    );
    assert_eq!(*selected.region, json!("eu-west-1"));
    let in_sub = grant(json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db:password::"})).unwrap();
    assert_eq!(
        only(&in_sub),
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-??????"})
    );
    assert_eq!(*in_sub.account, json!({"Ref": "AWS::AccountId"}));
    let by_parameter = grant(json!({"Ref": "TokenArn"})).unwrap();
    assert_eq!(
        resources(&by_parameter),
        vec![
            json!({"Ref": "TokenArn"}),
            json!({"Fn::Sub": "${TokenArn}-??????"})
        ]
    );
    assert_eq!(
        *by_parameter.region,
        json!({"Fn::Select": [3, {"Fn::Split": [":", {"Ref": "TokenArn"}]}]}),
        "the region sits inside the parameter, and CloudFormation cuts it out"
    );
    assert_eq!(
        *by_parameter.account,
        json!({"Fn::Select": [4, {"Fn::Split": [":", {"Ref": "TokenArn"}]}]})
    );
}

#[test]
fn refs_to_secrets_and_parameters_of_the_template_are_understood() {
    assert_eq!(
        only(&grant(json!({"Ref": "Db"})).unwrap()),
        json!({"Ref": "Db"})
    );
    assert_eq!(
        only(&grant(json!({"Ref": "Param"})).unwrap()),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Param}"})
    );
}

#[test]
fn anything_else_is_refused_without_echoing_parameter_values() {
    assert!(
        grant(json!({"Ref": "Bucket"}))
            .unwrap_err()
            .starts_with("cannot tell")
    );
    assert!(
        grant(json!({"Fn::ImportValue": "x"}))
            .unwrap_err()
            .starts_with("cannot tell")
    );
    assert!(
        grant(json!({"Ref": "Unset"}))
            .unwrap_err()
            .contains("has no value")
    );
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context
        .parameter_values
        .insert("Secret".into(), json!("not a valid name!"));
    let parameters = json!({"Secret": {"Type": "String", "NoEcho": true}});
    let resources = Map::new();
    let error = grant_for(
        &json!({"Ref": "Secret"}),
        &scope_with(&context, parameters.as_object().unwrap(), &resources),
    )
    .unwrap_err();
    assert!(
        error.starts_with("the value of parameter Secret is neither"),
        "{error}"
    );
    assert!(!error.contains("not a valid name!"));
}

/// The grant CloudFormation builds for an SSM parameter in any form.
fn any_form(value: &Value) -> SecretGrant {
    ssm_parameter_of_any_form(value)
}

#[test]
fn the_agent_token_takes_a_name_path_or_arn_as_a_secret_does() {
    for value in [
        json!("token"),
        json!("/ci/token"),
        json!("arn:aws:ssm:eu-west-1:210987654321:parameter/ci/token"),
        json!({"Ref": "TokenName"}),
        json!({"Ref": "Param"}),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/t"}),
    ] {
        assert_eq!(token(value.clone()), grant(value.clone()), "{value}");
        assert_eq!(token(value.clone()).unwrap().store, SecretStore::Ssm);
    }
}

#[test]
fn the_agent_token_is_never_a_secrets_manager_secret() {
    for value in [
        json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:t-AbCdEf"),
        json!({"Ref": "TokenArn"}),
        json!({"Ref": "Db"}),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${N}", {"N": {"Fn::ImportValue": "n"}}]}),
    ] {
        let error = token(value.clone()).unwrap_err();
        assert_eq!(error, TOKEN_IN_SECRETS_MANAGER, "{value}");
        assert!(!error.contains("eu-west-1"), "no parameter value is echoed");
    }
    assert!(
        token(json!("has spaces"))
            .unwrap_err()
            .starts_with("\"has spaces\" is neither"),
        "a literal that names nothing is refused as for a secret"
    );
}

#[test]
fn an_agent_token_the_macro_cannot_see_is_granted_in_whatever_form_it_takes() {
    for value in [
        json!({"Fn::ImportValue": "agent-scheduler-BuildkiteAgentTokenParameter"}),
        json!({"Fn::GetAtt": ["Stack", "Outputs.TokenPath"]}),
        json!({"Fn::If": ["HasPath", {"Ref": "TokenName"}, "/buildkite-agent/token"]}),
        json!({"Fn::FindInMap": ["Tokens", {"Ref": "AWS::Region"}, "Path"]}),
        json!({"Fn::Sub": ["${Prefix}token", {"Prefix": {"Fn::ImportValue": "p"}}]}),
        json!({"Ref": "Unset"}),
        json!({"Ref": "Bucket"}),
    ] {
        let grant = token(value.clone()).unwrap();
        assert_eq!(grant, any_form(&value), "{value}");
    }
    // A Join the macro reads is exact, as its Sub twin.
    let join = json!({"Fn::Join": ["", ["/ci/", {"Ref": "AWS::StackName"}]]});
    assert_eq!(
        only(&token(join).unwrap()),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ci/${AWS::StackName}"})
    );
    let value = json!({"Fn::ImportValue": "x"});
    let prefix =
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"});
    let arn = json!({"Fn::Join": ["parameter/", {"Fn::Split": ["parameter//", {"Fn::Join": ["", ["arn:", {"Fn::Select": [1, {"Fn::Split": ["arn:", {"Fn::Join": ["", [value, prefix, value]]}]}]}]]}]}]});
    let grant = any_form(&value);
    assert_eq!(resources(&grant), vec![arn]);
    let value_then_prefix = json!({"Fn::Join": ["", [value, prefix]]});
    assert_eq!(
        *grant.region,
        json!({"Fn::Select": [3, {"Fn::Split": [":", value_then_prefix]}]})
    );
    assert_eq!(
        *grant.account,
        json!({"Fn::Select": [4, {"Fn::Split": [":", value_then_prefix]}]})
    );
    assert_eq!(
        grant.store,
        SecretStore::Ssm,
        "the secret is the value as written"
    );
}

#[test]
fn an_ssm_parameter_named_by_a_function_is_granted_in_any_form() {
    let by_ref = json!({"Ref": "NamedBySub"});
    assert_eq!(grant(by_ref.clone()).unwrap(), any_form(&by_ref));
    assert_eq!(token(by_ref.clone()).unwrap(), any_form(&by_ref));
}

#[test]
fn a_sub_whose_text_writes_the_service_leaves_its_variables_to_cloudformation() {
    let imported = |name: &str| json!({"Fn::ImportValue": name});
    let ssm = json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Path}", {"Path": imported("path")}]});
    let granted = grant(ssm.clone()).unwrap();
    assert_eq!(granted.store, SecretStore::Ssm);
    assert_eq!(resources(&granted), vec![ssm], "the ARN as written");
    assert_eq!(*granted.region, json!({"Ref": "AWS::Region"}));
    assert_eq!(*granted.account, json!({"Ref": "AWS::AccountId"}));

    let elsewhere = json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${Region}:210987654321:parameter/${Name}", {"Region": imported("region"), "Name": imported("name"), "Unused": "x"}]});
    let granted = grant(elsewhere).unwrap();
    assert_eq!(
        *granted.region,
        imported("region"),
        "a field that is one variable is that variable's value"
    );
    assert_eq!(*granted.account, json!("210987654321"));

    // A Secrets Manager name the macro cannot see: the full name, or the name alone.
    let secret = json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}", {"Name": imported("name")}]});
    let granted = grant(secret.clone()).unwrap();
    assert_eq!(granted.store, SecretStore::SecretsManager);
    assert_eq!(
        resources(&granted),
        vec![
            secret,
            json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}-??????", {"Name": imported("name")}]})
        ]
    );
    let with_selector = json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/${Name}:${Key}::", {"Name": imported("name"), "Key": imported("key")}]});
    assert_eq!(
        resources(&grant(with_selector).unwrap()),
        vec![
            json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/${Name}", {"Name": imported("name")}]}),
            json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/${Name}-??????", {"Name": imported("name")}]})
        ],
        "the selector is cut, and with it the variable only it used"
    );
    // A literal name decides the form, whatever the other fields hold: one ending in `-` and
    // six characters may be either.
    let literal_name = |name: &str| json!({"Fn::Sub": [format!("arn:${{AWS::Partition}}:secretsmanager:${{Region}}:${{AWS::AccountId}}:secret:{name}"), {"Region": imported("region")}]});
    assert_eq!(
        resources(&grant(literal_name("db-AbC123")).unwrap()),
        vec![literal_name("db-AbC123"), literal_name("db-AbC123-??????")]
    );
    assert_eq!(
        resources(&grant(literal_name("db")).unwrap()),
        vec![
            json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${Region}:${AWS::AccountId}:secret:db-??????", {"Region": imported("region")}]})
        ]
    );
}

#[test]
fn a_sub_whose_text_cannot_begin_an_arn_is_an_ssm_name_or_path() {
    let path = json!({"Fn::Sub": ["/ci/${Env}/token", {"Env": {"Fn::ImportValue": "env"}}]});
    assert_eq!(
        only(&grant(path.clone()).unwrap()),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Value1}", {"Value1": path}]})
    );
    let name = json!({"Fn::Sub": ["ci-${Env}", {"Env": {"Fn::ImportValue": "env"}}]});
    assert_eq!(
        only(&grant(name.clone()).unwrap()),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Value1}", {"Value1": name}]})
    );
}

#[test]
fn a_sub_whose_text_does_not_tell_or_names_nothing_is_refused() {
    let imported = json!({"Fn::ImportValue": "x"});
    for (template, expected) in [
        ("${X}", "cannot tell"),
        ("${X}/token", "cannot tell"),
        ("ar${X}", "cannot tell"),
        (
            "arn:${AWS::Partition}:${X}:${AWS::Region}:${AWS::AccountId}:parameter/t",
            "cannot tell",
        ),
        ("arn:${X}", "cannot tell"),
        (
            "arn:${AWS::Partition}:s3:::${X}",
            "the !Sub is an ARN, but not of an SSM parameter or a Secrets Manager secret",
        ),
        (
            "arn:aws-cn:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${X}",
            "the !Sub is in partition aws-cn, but the stack is in partition aws",
        ),
        (
            "arn:${AWS::Partition}:ssm:${X}",
            "the !Sub is not an SSM parameter ARN",
        ),
        (
            "arn:${AWS::Partition}:ssm:${AWS::Region}:1234:parameter/${X}",
            "the !Sub is not an SSM parameter ARN",
        ),
        (
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${X}",
            "the !Sub is not an SSM parameter ARN",
        ),
        (
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${X}:key",
            "the !Sub is not a Secrets Manager secret ARN",
        ),
        ("has space ${X}", "the !Sub is neither"),
    ] {
        let value = json!({"Fn::Sub": [template, {"X": imported}]});
        let error = grant(value).unwrap_err();
        assert!(error.starts_with(expected), "{template}: {error}");
    }
}

#[test]
fn a_literal_region_and_account_that_are_the_stacks_are_written_as_pseudo_parameters() {
    let here = grant(json!("arn:aws:ssm:us-east-1:123456789012:parameter/t")).unwrap();
    assert_eq!(*here.region, json!({"Ref": "AWS::Region"}));
    assert_eq!(*here.account, json!({"Ref": "AWS::AccountId"}));
    assert_eq!(
        only(&here),
        json!("arn:aws:ssm:us-east-1:123456789012:parameter/t"),
        "the ARN itself as written"
    );
    let elsewhere = grant(json!("arn:aws:ssm:eu-west-1:123456789012:parameter/t")).unwrap();
    assert_eq!(*elsewhere.region, json!("eu-west-1"));
    assert_eq!(*elsewhere.account, json!({"Ref": "AWS::AccountId"}));
}

#[test]
fn a_name_holding_a_slash_must_begin_with_one() {
    let error = grant(json!("ci/stripe-key")).unwrap_err();
    assert!(
            error.starts_with("\"ci/stripe-key\" is not an SSM parameter name: a name holding / is a path, which begins with /"),
            "{error}"
        );
    assert!(error.contains("a Secrets Manager secret is named by its ARN"));
    assert!(token(json!("buildkite/token")).is_err());
    let imported = json!({"Fn::ImportValue": "env"});
    let error = grant(json!({"Fn::Sub": ["ci/${Env}/key", {"Env": imported}]})).unwrap_err();
    assert!(
        error.starts_with("the !Sub is not an SSM parameter name: a name holding /"),
        "{error}"
    );
    assert!(grant(json!({"Fn::Sub": ["ci-${Env}", {"Env": imported}]})).is_ok());
}

#[test]
fn a_secrets_id_is_its_arn_as_its_ref_is() {
    for id in [
        json!({"Fn::GetAtt": ["Db", "Id"]}),
        json!({"Fn::GetAtt": "Db.Id"}),
    ] {
        let granted = grant(id.clone()).unwrap();
        assert_eq!(granted.store, SecretStore::SecretsManager);
        assert_eq!(only(&granted), id);
        assert_eq!(
            (granted.region, granted.account),
            (
                grant(json!({"Ref": "Db"})).unwrap().region,
                grant(json!({"Ref": "Db"})).unwrap().account
            )
        );
    }
    assert!(grant(json!({"Fn::GetAtt": ["Db", "Name"]})).is_err());
    assert!(grant(json!({"Fn::GetAtt": ["Bucket", "Id"]})).is_err());
}

#[test]
fn ssm_references_to_secrets_manager_read_the_parameter_and_the_secret() {
    let granted = grant(json!("/aws/reference/secretsmanager/ci/db")).unwrap();
    assert_eq!(granted.store, SecretStore::SecretsManager);
    assert_eq!(
        granted.through_parameter.as_deref(),
        Some(
            &json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/aws/reference/secretsmanager/ci/db"})
        )
    );
    assert_eq!(
        only(&granted),
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/db-??????"})
    );
    let by_arn = grant(json!(
        "arn:aws:ssm:eu-west-1:210987654321:parameter/aws/reference/secretsmanager/db"
    ))
    .unwrap();
    assert_eq!(
        only(&by_arn),
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:eu-west-1:210987654321:secret:db-??????"})
    );
    assert_eq!(*by_arn.region, json!("eu-west-1"));
    assert!(
        token(json!("/aws/reference/secretsmanager/token")).is_ok(),
        "the reference is an SSM parameter"
    );
    let sub = json!({"Fn::Sub": ["/aws/reference/secretsmanager/${Name}", {"Name": {"Fn::ImportValue": "n"}}]});
    let through_sub = grant(sub.clone()).unwrap();
    assert_eq!(
        only(&through_sub),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Value1}-??????", {"Value1": {"Fn::Select": [1, {"Fn::Split": ["/aws/reference/secretsmanager/", sub]}]}}]})
    );
    assert!(through_sub.through_parameter.is_some());
}

#[test]
fn registry_credentials_may_be_a_secrets_name() {
    let registry = |value: Value| in_scope(|scope| registry_credentials_grant(&value, scope));
    let named = registry(json!("ci/registry")).unwrap();
    assert_eq!(
        only(&named),
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/registry-??????"})
    );
    let by_sub =
        registry(json!({"Fn::Sub": ["ci/${Env}/registry", {"Env": {"Fn::ImportValue": "env"}}]}))
            .unwrap();
    assert_eq!(
        only(&by_sub),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Value1}-??????", {"Value1": {"Fn::Sub": ["ci/${Env}/registry", {"Env": {"Fn::ImportValue": "env"}}]}}]})
    );
    assert!(
        registry(json!("has space"))
            .unwrap_err()
            .contains("is neither a Secrets Manager secret's name")
    );
    assert!(
        registry(json!(
            "arn:aws:ssm:us-east-1:123456789012:parameter/aws/reference/secretsmanager/r"
        ))
        .unwrap_err()
        .starts_with("is not a Secrets Manager secret")
    );
    assert!(registry(json!({"Fn::GetAtt": ["Db", "Id"]})).is_ok());
    // A value the macro cannot see is a name or an ARN of Secrets Manager's, whichever it is.
    let imported = json!({"Fn::ImportValue": "registry-secret"});
    let any = registry(imported.clone()).unwrap();
    assert_eq!(any, secret_of_any_form(&imported));
    assert_eq!(any.store, SecretStore::SecretsManager);
    assert_eq!(
        resources(&any).len(),
        2,
        "the ARN, whole or partial: {any:?}"
    );
    assert!(registry(json!({"Ref": "Unset"})).is_ok());
}

#[test]
fn a_parameter_store_types_default_is_not_its_value() {
    let error = grant(json!({"Ref": "FromStore"})).unwrap_err();
    assert!(
        error.starts_with("parameter FromStore has no value to check")
            && error.contains("it is a Parameter Store type, whose Default names where"),
        "{error}"
    );
    assert!(!error.contains("/ci/token-location"));
    assert_eq!(
        token(json!({"Ref": "FromStore"})).unwrap(),
        any_form(&json!({"Ref": "FromStore"})),
        "the token parameter is granted in whatever form the value takes"
    );
    // The value CloudFormation passes (templateParameterValues) is the value it holds.
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context.parameter_values.insert(
        "FromStore".into(),
        json!("arn:aws:secretsmanager:eu-west-1:210987654321:secret:db-AbC123"),
    );
    let parameters = json!({"FromStore": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ci/where"}});
    let resources = Map::new();
    let granted = grant_for(
        &json!({"Ref": "FromStore"}),
        &scope_with(&context, parameters.as_object().unwrap(), &resources),
    )
    .unwrap();
    assert_eq!(granted.store, SecretStore::SecretsManager);
}

#[test]
fn a_join_is_granted_as_its_sub_twin() {
    let pseudo = |name: &str| json!({"Ref": name});
    // AWS CDK's StringParameter.parameterArn: a Join of arn:, the partition, ...
    let cdk_parameter_arn = json!({"Fn::Join": ["", [
        "arn:", pseudo("AWS::Partition"), ":ssm:", pseudo("AWS::Region"), ":",
        pseudo("AWS::AccountId"), ":parameter/", {"Ref": "Param"}
    ]]});
    let sub = json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Param}"});
    assert_eq!(grant(cdk_parameter_arn.clone()), grant(sub.clone()));
    assert_eq!(token(cdk_parameter_arn), token(sub));
    let imported = json!({"Fn::ImportValue": "path"});
    let join = json!({"Fn::Join": ["", ["arn:", pseudo("AWS::Partition"), ":ssm:", pseudo("AWS::Region"), ":", pseudo("AWS::AccountId"), ":parameter", imported]]});
    let sub = json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Path}", {"Path": imported}]});
    let (joined, subbed) = (grant(join).unwrap(), grant(sub).unwrap());
    assert_eq!(joined.store, SecretStore::Ssm);
    assert_eq!(resources(&joined).len(), resources(&subbed).len());
    assert_eq!(joined.region, subbed.region);
    // A Join of literal text is that text.
    assert_eq!(
        grant(json!({"Fn::Join": ["/", ["", "ci", "token"]]})),
        grant(json!("/ci/token"))
    );
    // A parameter's value read through a Join is never in the message.
    let refused = grant(json!({"Fn::Join": ["", [{"Ref": "TokenName"}, "/x y"]]}));
    if let Err(why) = refused {
        assert!(!why.contains("/ci/token"), "{why}");
    }
    // Registry credentials: a Join of the secret's name is its name.
    let registry = |value: Value| in_scope(|scope| registry_credentials_grant(&value, scope));
    assert_eq!(
        registry(json!({"Fn::Join": ["/", ["ci", "registry"]]})),
        registry(json!("ci/registry"))
    );
}

#[test]
fn a_value_chosen_from_a_mapping_by_region_is_granted_exactly() {
    let context = ExpansionContext::new("us-east-1", "123456789012");
    let mappings = json!({"Tokens": {"us-east-1": {"Path": "/ci/us/token"}}});
    let (parameters, resources) = (Map::new(), Map::new());
    let scope = TemplateScope {
        context: &context,
        parameters: Some(&parameters),
        resources: &resources,
        mappings: mappings.as_object(),
        conditions: None,
    };
    let chosen = json!({"Fn::FindInMap": ["Tokens", {"Ref": "AWS::Region"}, "Path"]});
    let granted = agent_token_grant(&chosen, &scope).unwrap();
    assert_eq!(granted.store, SecretStore::Ssm);
    // The path is read from the mapping; the grant writes the FindInMap, CloudFormation's to fill.
    assert_eq!(
        only(&granted),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Value1}", {"Value1": chosen}]})
    );
}
