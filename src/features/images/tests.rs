use super::*;
use crate::template::context::ExpansionContext;

fn pull(image: Value) -> Result<Vec<Value>, String> {
    pull_with_note(image).map(|pull| pull.repositories)
}

fn pull_with_note(image: Value) -> Result<ImagePull, String> {
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context.parameter_values.insert(
        "EcrImage".into(),
        json!("210987654321.dkr.ecr.eu-west-1.amazonaws.com/ci/ruby@sha256:abc"),
    );
    context
        .parameter_values
        .insert("HubImage".into(), json!("ruby:3.3"));
    let parameters = json!({"EcrImage": {"Type": "String"}, "HubImage": {"Type": "String"}, "Tag": {"Type": "String"}, "Unset": {"Type": "String"}});
    let resources =
        json!({"Repo": {"Type": "AWS::ECR::Repository"}, "Bucket": {"Type": "AWS::S3::Bucket"}});
    let scope = TemplateScope::new(
        &context,
        Some(parameters.as_object().unwrap()),
        resources.as_object().unwrap(),
    );
    pull_grant(&image, &scope)
}

#[test]
fn images_outside_ecr_need_no_grant() {
    for image in [
        "ruby:3.3",
        "buildkite/agent:3",
        "public.ecr.aws/docker/library/ruby:3.3",
        "registry.example.com/ci/rails:3.3",
        "localhost:5000/x",
    ] {
        assert_eq!(pull(json!(image)), Ok(vec![]), "{image}");
    }
    assert_eq!(pull(json!({"Ref": "HubImage"})), Ok(vec![]));
    assert_eq!(pull(json!({"Fn::Sub": "ruby:${Tag}"})), Ok(vec![]));
    assert_eq!(pull(json!({"Fn::Sub": "docker.io/${Unset}"})), Ok(vec![]));
    assert_eq!(
        pull(json!({"Fn::Sub": "buildkite/agent:${Unset}"})),
        Ok(vec![])
    );
}

#[test]
fn a_literal_ecr_image_is_granted_its_repository() {
    assert_eq!(
        pull(json!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/ruby:3.3"
        )),
        Ok(vec![
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/ci/ruby"})
        ])
    );
    assert_eq!(
        pull(json!(
            "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/ci@sha256:0f"
        )),
        Ok(vec![
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/ci"})
        ])
    );
    let other_partition = pull(json!("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/ci"));
    assert!(
        other_partition
            .unwrap_err()
            .contains("outside the stack's partition")
    );
    let bad_account = pull(json!("12.dkr.ecr.us-east-1.amazonaws.com/ci"));
    assert!(bad_account.unwrap_err().contains("is not an ECR image"));
}

#[test]
fn every_registry_host_ecr_serves_is_granted_the_same_repository() {
    let ci = Ok(vec![
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/ci/builder"}),
    ]);
    for image in [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/builder:1.4",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/ci/builder:1.4",
        "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/ci/builder:1.4",
        "123456789012.dkr-ecr.us-east-1.on.aws/ci/builder:1.4",
        "123456789012.dkr-ecr.us-east-1.on.aws:443/ci/builder@sha256:0f",
        "123456789012.dkr-ecr-fips.us-east-1.on.aws/ci/builder",
    ] {
        assert_eq!(pull(json!(image)), ci, "{image}");
    }
    // A dual-stack host of another partition is outside, as an IPv4 one is.
    for image in [
        "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/ci/builder",
        "123456789012.dkr-ecr.us-east-1.amazonaws.com/ci/builder",
    ] {
        let refused = pull(json!(image)).unwrap_err();
        assert!(
            refused.contains("(whose dual-stack registries end in .on.aws)"),
            "{refused}"
        );
    }
}

#[test]
fn china_reads_its_own_hosts() {
    let context = ExpansionContext::new("cn-north-1", "123456789012");
    let resources = serde_json::Map::new();
    let scope = TemplateScope::new(&context, None, &resources);
    let arn = Ok(vec![
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:cn-north-1:123456789012:repository/ci"}),
    ]);
    for image in [
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/ci:1",
        "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/ci:1",
    ] {
        assert_eq!(
            pull_grant(&json!(image), &scope).map(|pull| pull.repositories),
            arn,
            "{image}"
        );
    }
    let outside = pull_grant(&json!("123456789012.dkr-ecr.cn-north-1.on.aws/ci"), &scope);
    assert!(
        outside
            .unwrap_err()
            .contains(".on.amazonwebservices.com.cn")
    );
}

#[test]
fn a_dual_stack_parameter_or_sub_is_cut_where_its_host_ends() {
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    context.parameter_values.insert(
        "Image".into(),
        json!("210987654321.dkr-ecr.eu-west-1.on.aws:443/ci/builder:1.4"),
    );
    let parameters = json!({"Image": {"Type": "String"}});
    let resources = serde_json::Map::new();
    let scope = TemplateScope::new(&context, parameters.as_object(), &resources);
    let granted = pull_grant(&json!({"Ref": "Image"}), &scope).unwrap();
    let text = granted.repositories[0].to_string();
    assert!(
        text.contains(r#"{"Fn::Split":[".on.aws:443/",{"Ref":"Image"}]}"#),
        "{text}"
    );
    // The region is the third field of a dual-stack host.
    assert!(text.contains(r#""Region":{"Fn::Select":[2,"#), "{text}");
    let sub = json!({"Fn::Sub": ["${Account}.dkr-ecr-fips.eu-west-1.on.aws/${Name}:1", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]});
    assert_eq!(
        pull_grant(&sub, &scope).map(|pull| pull.repositories),
        Ok(vec![
            json!({"Fn::Sub": ["arn:${AWS::Partition}:ecr:eu-west-1:${Account}:repository/${Name}", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]})
        ])
    );
    // A dual-stack host is not under the URL suffix, whatever else is unknown.
    let url_suffix = json!({"Fn::Sub": ["${Account}.dkr-ecr.eu-west-1.${AWS::URLSuffix}/ci:1", {"Account": {"Fn::ImportValue": "a"}}]});
    let refused = pull_grant(&url_suffix, &scope).unwrap_err();
    assert!(refused.contains("end in .on.aws"), "{refused}");
    let unset_end = json!({"Fn::Sub": ["${AWS::AccountId}.dkr-ecr.${AWS::Region}.on.aws/${Rest}", {"Rest": {"Fn::ImportValue": "r"}}]});
    let cut = pull_grant(&unset_end, &scope).unwrap().repositories[0].to_string();
    assert!(cut.contains(r#"[".on.aws/","#), "{cut}");
}

#[test]
fn a_sub_that_names_the_registry_is_granted_from_its_text() {
    assert_eq!(
        pull(
            json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ci/ruby:${Unset}"})
        ),
        Ok(vec![
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/ci/ruby"})
        ])
    );
    assert_eq!(
        pull(
            json!({"Fn::Sub": ["${Account}.dkr.ecr.eu-west-1.amazonaws.com/${Name}:1", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]})
        ),
        Ok(vec![
            json!({"Fn::Sub": ["arn:${AWS::Partition}:ecr:eu-west-1:${Account}:repository/${Name}", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]})
        ])
    );
    // The repository's end is in a variable that may hold the tag: CloudFormation cuts it.
    let cut = pull(
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Unset}"}),
    )
    .unwrap();
    assert!(cut[0].to_string().contains("Fn::Split"), "{cut:?}");
}

#[test]
fn a_parameter_is_granted_by_its_value_with_cloudformation_cutting_the_tag() {
    let granted = pull(json!({"Ref": "EcrImage"})).unwrap();
    assert_eq!(granted.len(), 1);
    assert!(granted[0].to_string().contains("{\"Ref\":\"EcrImage\"}"));
    assert!(
        !granted[0].to_string().contains("210987654321"),
        "the parameter's value is not written"
    );
}

#[test]
fn a_repository_of_the_template_is_granted_by_its_arn() {
    let arn = Ok(vec![json!({"Fn::GetAtt": ["Repo", "Arn"]})]);
    assert_eq!(pull(json!({"Fn::GetAtt": ["Repo", "RepositoryUri"]})), arn);
    assert_eq!(
        pull(json!({"Fn::Sub": "${Repo.RepositoryUri}:${Tag}"})),
        arn
    );
    assert!(pull(json!({"Fn::Sub": "${Repo.RepositoryUri}-other"})).is_err());
}

#[test]
fn if_branches_are_each_granted() {
    assert_eq!(
        pull(
            json!({"Fn::If": ["C", "ruby:3.3", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1"]})
        ),
        Ok(vec![
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/ci"})
        ])
    );
}

#[test]
fn an_image_the_macro_cannot_place_is_pulled_from_any_repository_with_a_note() {
    for image in [
        json!({"Fn::ImportValue": "image"}),
        json!({"Fn::GetAtt": ["Builder", "Outputs.Image"]}),
        json!({"Fn::Sub": "${Unset}/ci:1"}),
        json!({"Fn::Join": ["", [{"Fn::ImportValue": "registry"}, "/ci:1"]]}),
        json!({"Ref": "Unset"}),
    ] {
        let pull = pull_with_note(image.clone()).unwrap();
        assert_eq!(
            pull.repositories,
            [json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:*:*:repository/*"})],
            "{image}"
        );
        assert!(pull.unplaced.is_some(), "{image}");
    }
    let unset = pull_with_note(json!({"Ref": "Unset"}))
        .unwrap()
        .unplaced
        .unwrap();
    assert!(unset.contains("parameter Unset has no value"), "{unset}");
    // An If with one branch placed keeps that branch exact.
    let branches = pull(json!({"Fn::If": ["C", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1", {"Fn::ImportValue": "image"}]})).unwrap();
    assert_eq!(branches.len(), 2);
    assert_eq!(
        branches[0],
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/ci"})
    );
}

#[test]
fn a_join_is_granted_as_its_sub_twin() {
    let twins = [
        (
            json!({"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":3.3"]]}),
            json!({"Fn::Sub": "${Repo.RepositoryUri}:3.3"}),
        ),
        (
            json!({"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/ci/ruby:", {"Ref": "Tag"}]]}),
            json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/ci/ruby:${Tag}"}),
        ),
        (
            json!({"Fn::Join": ["/", ["docker.io", {"Ref": "Unset"}]]}),
            json!({"Fn::Sub": "docker.io/${Unset}"}),
        ),
    ];
    for (join, sub) in twins {
        assert_eq!(pull(join.clone()), pull(sub), "{join}");
        assert!(
            pull_with_note(join.clone()).unwrap().unplaced.is_none(),
            "{join}"
        );
    }
    // CDK's repositoryUriForTag: a Join of Select/Split over the repository's ARN.
    let arn = json!({"Fn::GetAtt": ["Repo", "Arn"]});
    let field = |index: u64| json!({"Fn::Select": [index, {"Fn::Split": [":", arn]}]});
    let cdk = json!({"Fn::Join": ["", [field(4), ".dkr.ecr.", field(3), ".", {"Ref": "AWS::URLSuffix"}, "/", {"Ref": "Repo"}, ":3.3"]]});
    // A repository of the stack is in its region and account: the ARN a person writes.
    let written = json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Repo}"});
    assert_eq!(pull(cdk).unwrap(), std::slice::from_ref(&written));
    // repositoryUri, without a tag: the repository's Ref is its name, which holds no tag.
    let untagged = json!({"Fn::Join": ["", [field(4), ".dkr.ecr.", field(3), ".", {"Ref": "AWS::URLSuffix"}, "/", {"Ref": "Repo"}]]});
    assert_eq!(pull(untagged).unwrap(), [written]);
    assert_eq!(
        pull(json!({"Fn::Join": ["", ["ruby", ":3.3"]]})).unwrap(),
        Vec::<Value>::new()
    );
}
