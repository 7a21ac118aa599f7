use super::*;

fn context() -> ExpansionContext {
    ExpansionContext::new("us-east-1", "123456789012")
}

#[test]
fn reads_the_six_parts_of_an_arn() {
    let arn = parse_arn("arn:aws:ssm:us-east-1:123456789012:parameter/a:b").unwrap();
    assert_eq!(arn.service, "ssm");
    assert_eq!(arn.resource, "parameter/a:b");
    assert_eq!(parse_arn("arn:aws:ssm"), None);
    assert_eq!(parse_arn("token"), None);
}

#[test]
fn classifies_every_value_from_form() {
    let c = context();
    let classify = |text: &str| classify_secret_reference(text, &c);
    assert_eq!(
        classify("token"),
        Ok(SecretReference::SsmName { is_path: false })
    );
    assert_eq!(
        classify("/ci/token"),
        Ok(SecretReference::SsmName { is_path: true })
    );
    assert_eq!(
        classify("arn:aws:ssm:eu-west-1:123456789012:parameter/ci/token"),
        Ok(SecretReference::SsmArn)
    );
    assert_eq!(
        classify("arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/db-AbC123"),
        Ok(SecretReference::SecretsManagerArn {
            with_selector: false,
            name: SecretName::FullOrPartial
        })
    );
    assert_eq!(
        classify(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/db-AbC123:password:AWSCURRENT:"
        ),
        Ok(SecretReference::SecretsManagerArn {
            with_selector: true,
            name: SecretName::FullOrPartial
        })
    );
    assert_eq!(
        classify("arn:aws:secretsmanager:us-east-1:123456789012:secret:db"),
        Ok(SecretReference::SecretsManagerArn {
            with_selector: false,
            name: SecretName::Partial
        })
    );
    assert_eq!(
        classify("arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/db-backup"),
        Ok(SecretReference::SecretsManagerArn {
            with_selector: false,
            name: SecretName::FullOrPartial
        }),
        "a six-letter word may be the name's own end"
    );
    for bad in [
        "",
        "/",
        "/ci//token",
        "ci/token",
        "has space",
        "arn:aws:s3:::bucket",
        "arn:aws:ssm:us-east-1:123456789012:document/x",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:key",
        "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x",
    ] {
        assert!(classify(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn checks_iam_and_kms_arns() {
    let c = context();
    assert!(check_role_arn("arn:aws:iam::123456789012:role/ci/agent", &c).is_ok());
    assert!(check_role_arn("arn:aws:iam::123456789012:policy/x", &c).is_err());
    assert!(check_role_arn("arn:aws:iam::12345:role/x", &c).is_err());
    assert!(check_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess", &c).is_ok());
    assert!(check_policy_arn("arn:aws:iam::aws:policy/", &c).is_err());
    assert!(check_kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd", &c).is_ok());
    assert!(check_kms_key_arn("arn:aws:kms:us-east-1:123456789012:alias/x", &c).is_err());
    let in_region = |text: &str| check_kms_key_arn_in_stack_region(text, &c, "where it is used");
    assert!(in_region("arn:aws:kms:us-east-1:123456789012:key/1234abcd").is_ok());
    let elsewhere = in_region("arn:aws:kms:eu-west-1:123456789012:key/1234abcd").unwrap_err();
    assert!(
        elsewhere.starts_with("is a key of another region than the stack's, us-east-1,")
            && !elsewhere.contains("eu-west-1"),
        "{elsewhere}"
    );
    assert!(in_region("arn:aws:kms:eu-west-1:123456789012:alias/x").is_err());
    let in_china = ExpansionContext::new("cn-north-1", "123456789012");
    assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/x", &in_china).is_ok());
    assert_eq!(
        check_role_arn("arn:aws:iam::123456789012:role/x", &in_china),
        Err("is in partition aws, but the stack is in partition aws-cn".to_owned())
    );
}

#[test]
fn checks_iam_paths() {
    for good in ["/", "/BuildkiteAgentTask/", "/ci/agents-2/"] {
        assert_eq!(check_iam_path(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "BuildkiteAgentTask",
        "/no-end",
        "no-start/",
        "//",
        "/sp ace/",
        "/é/",
    ] {
        assert!(check_iam_path(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(check_iam_path(&format!("/{}/", "a".repeat(510))).is_ok());
    assert!(check_iam_path(&format!("/{}/", "a".repeat(511))).is_err());
}

#[test]
fn reads_an_execute_api_stage() {
    let c = context();
    assert_eq!(
        parse_execute_api_stage(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod",
            &c
        ),
        Ok(ExecuteApiStage {
            region: "eu-west-1",
            api_id: "abc123defg",
            stage: "prod"
        })
    );
    assert_eq!(
        parse_execute_api_url(
            "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod",
            &c
        ),
        Ok(ExecuteApiStage {
            region: "eu-west-1",
            api_id: "abc123defg",
            stage: "prod"
        })
    );
    for bad in [
        "https://abc123defg.execute-api.eu-west-1.amazonaws.com",
        "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/identities",
        "https://example.com/prod",
        "https://abc123defg.execute-api.cn-north-1.amazonaws.com.cn/prod",
    ] {
        assert!(
            parse_execute_api_url(bad, &c).is_err(),
            "{bad:?} should be refused"
        );
    }
    assert!(
        parse_execute_api_stage("https://abc.execute-api.eu-west-1.amazonaws.com/prod", &c)
            .unwrap_err()
            .starts_with("is an invoke URL, which is read only as the whole value")
    );
    for bad in [
        "arn:aws:execute-api:eu-west-1:123456789012:abc123defg",
        "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET",
        "arn:aws:execute-api::123456789012:abc/prod",
        "arn:aws:lambda:eu-west-1:123456789012:abc/prod",
    ] {
        assert!(
            parse_execute_api_stage(bad, &c).is_err(),
            "{bad:?} should be refused"
        );
    }
}
