//! What the execution role must be allowed to pull one container image: nothing for an
//! image outside a private ECR registry, the ECR pull actions on exactly its repository for
//! one inside.

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::template::value::{
    Resolved, SubPart, TemplateScope, first_outside_variables, parse_sub,
    split_once_outside_variables, split_outside_variables, sub_arguments, sub_literal,
    unescape_sub_text,
};

/// The fix for an image the macro cannot read, named in the message that refuses it.
const CANNOT_TELL: &str = "cannot tell whether this image is in a private ECR registry, or in which repository, so the execution role could not be limited to it; write the image as text, a !Ref to a parameter with a value, !GetAtt <an AWS::ECR::Repository>.RepositoryUri (or !Sub \"${Repository.RepositoryUri}:<tag>\"), or a !Sub whose text names the registry: !Sub [\"${Account}.dkr.ecr.${Region}.${AWS::URLSuffix}/<repository>:${Tag}\", {Account: ..., Region: ..., Tag: ...}] for ECR, \"docker.io/${Name}\" for Docker Hub; or set AttachTaskExecutionRolePolicy: true to pull with AWS's managed policy, which allows any repository";

/// The ECR repository ARNs the execution role pulls `image` from: empty for an image outside
/// a private ECR registry (Docker Hub, ECR Public, another registry), one for an ECR image,
/// one per branch for an `Fn::If`. `Err` says why no exact grant can be derived; it never
/// contains a parameter's value.
pub fn pull_grant(image: &Value, scope: &TemplateScope<'_>) -> Result<Vec<Value>, String> {
    if let Some(branches) = if_branches(image) {
        let mut repositories = Vec::new();
        for branch in branches {
            if scope.resolve(branch) != Resolved::NoValue {
                repositories.extend(pull_grant(branch, scope)?);
            }
        }
        return Ok(crate::template::value::distinct(repositories));
    }
    match scope.resolve(image) {
        Resolved::Literal(Value::String(text)) => {
            literal_pull(text, scope).map_err(|why| format!("{} {why}", show(image)))
        }
        Resolved::Parameter {
            name,
            value: Value::String(text),
        } => match read_reference(&text) {
            Registry::Other => Ok(Vec::new()),
            Registry::Ecr(ecr) => {
                check_suffix(&ecr, scope)
                    .map_err(|why| format!("the value of parameter {name} {why}"))?;
                Ok(vec![repository_of_any_ecr_image(
                    image,
                    &ecr.cut(),
                    ecr.form,
                )])
            }
        },
        Resolved::Literal(_) | Resolved::NoValue => Ok(Vec::new()),
        Resolved::Parameter { name, .. } => Err(format!(
            "parameter {name} does not hold an image name, so the execution role could not be limited to it"
        )),
        Resolved::Unknown => intrinsic_pull(image, scope),
    }
}

fn show(value: &Value) -> String {
    crate::template::problems::show_literal(value)
}

fn if_branches(value: &Value) -> Option<[&Value; 2]> {
    match value.as_object()?.get("Fn::If")? {
        Value::Array(arguments) if value.as_object()?.len() == 1 => match arguments.as_slice() {
            [_, yes, no] => Some([yes, no]),
            _ => None,
        },
        _ => None,
    }
}

/// Where an image reference says its registry is.
enum Registry<'a> {
    Ecr(EcrImage<'a>),
    /// Docker Hub, ECR Public or any other registry: ECS pulls it without the execution
    /// role (private registries with `RepositoryCredentials`, granted as secrets).
    Other,
}

/// An image of an ECR private registry, by any host ECR serves it from.
struct EcrImage<'a> {
    form: EcrHostForm,
    account: &'a str,
    region: &'a str,
    suffix: &'a str,
    /// `:443`, or empty.
    port: &'a str,
    repository: &'a str,
}

impl EcrImage<'_> {
    /// The text between the region and the repository, where CloudFormation cuts the image.
    fn cut(&self) -> String {
        format!(".{}{}/", self.suffix, self.port)
    }
}

/// Where the fields of an ECR registry host are. ECR serves a registry from
/// `<account>.dkr.ecr.<region>.<url-suffix>` (IPv4), `<account>.dkr-ecr.<region>.on.aws`
/// (dual-stack; `on.amazonwebservices.com.cn` in China) and a FIPS form of each, `ecr-fips` and
/// `dkr-ecr-fips` ("Amazon ECR endpoints and quotas"); a `:<port>` may follow the host.
#[derive(Clone, Copy)]
struct EcrHostForm {
    region_field: usize,
    dual_stack: bool,
}

impl EcrHostForm {
    /// The form of a host split at its dots; `None` for a host that is not ECR's.
    fn of<S: AsRef<str>>(fields: &[S]) -> Option<Self> {
        let field = |index: usize| fields.get(index).map(AsRef::as_ref);
        match (field(1), field(2)) {
            (Some("dkr"), Some("ecr" | "ecr-fips")) if fields.len() >= 5 => Some(Self {
                region_field: 3,
                dual_stack: false,
            }),
            (Some("dkr-ecr" | "dkr-ecr-fips"), _) if fields.len() >= 4 => Some(Self {
                region_field: 2,
                dual_stack: true,
            }),
            _ => None,
        }
    }

    /// The first field of the domain suffix.
    fn suffix_field(self) -> usize {
        self.region_field + 1
    }

    /// The suffix this form's hosts end in within the stack's partition: dual-stack hosts
    /// have their own (the ECS agent's `ECRDualStackImagePattern` lists them).
    fn own_suffix(self, context: &crate::ExpansionContext) -> &'static str {
        if !self.dual_stack {
            return context.url_suffix();
        }
        match context.partition() {
            "aws-cn" => "on.amazonwebservices.com.cn",
            "aws-iso" => "on.aws.ic.gov",
            "aws-iso-b" => "on.aws.scloud",
            "aws-iso-f" => "on.aws.hci.ic.gov",
            "aws-iso-e" => "on.cloud-aws.adc-e.uk",
            _ => "on.aws",
        }
    }
}

/// `("host", ":443")` from `host:443`; the port empty when there is none.
fn without_port(host: &str) -> (&str, &str) {
    match host.rfind(':') {
        Some(colon)
            if host.len() > colon + 1 && host[colon + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            host.split_at(colon)
        }
        _ => (host, ""),
    }
}

fn read_reference(reference: &str) -> Registry<'_> {
    let Some((host, path)) = reference.split_once('/') else {
        return Registry::Other;
    };
    let (host, port) = without_port(host);
    let fields: Vec<&str> = host.split('.').collect();
    let Some(form) = EcrHostForm::of(&fields) else {
        return Registry::Other;
    };
    let suffix = host
        .splitn(form.suffix_field() + 1, '.')
        .last()
        .unwrap_or_default();
    Registry::Ecr(EcrImage {
        form,
        account: fields[0],
        region: fields[form.region_field],
        suffix,
        port,
        repository: path.split([':', '@']).next().unwrap_or_default(),
    })
}

fn check_suffix(ecr: &EcrImage<'_>, scope: &TemplateScope<'_>) -> Result<(), String> {
    let own = ecr.form.own_suffix(scope.context);
    if ecr.suffix == own {
        Ok(())
    } else {
        Err(outside_partition(ecr.form, own))
    }
}

fn outside_partition(form: EcrHostForm, own: &str) -> String {
    let kind = if form.dual_stack { "dual-stack " } else { "" };
    format!(
        "is an ECR image of a registry outside the stack's partition (whose {kind}registries end in .{own}); a task pulls from its own partition only"
    )
}

fn literal_pull(text: &str, scope: &TemplateScope<'_>) -> Result<Vec<Value>, String> {
    let Registry::Ecr(ecr) = read_reference(text) else {
        return Ok(Vec::new());
    };
    let account_is_id = ecr.account.len() == 12 && ecr.account.bytes().all(|b| b.is_ascii_digit());
    let region_is_name = !ecr.region.is_empty()
        && ecr
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !account_is_id || !region_is_name || ecr.repository.is_empty() {
        return Err("is not an ECR image (<account>.dkr.ecr.<region>.<url-suffix>/<repository>[:<tag>|@<digest>])".to_owned());
    }
    check_suffix(&ecr, scope)?;
    Ok(vec![json!({
        "Fn::Sub": format!(
            "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{}",
            ecr.region, ecr.account, ecr.repository
        )
    })])
}

/// The repository ARN of any ECR image `value` holds when the stack is deployed, computed by
/// CloudFormation: split at `cut` (`.<suffix>[:<port>]/`) into the host before the suffix
/// (`<account>.dkr.ecr.<region>`, `<account>.dkr-ecr.<region>`) and the path; the account is
/// field 0 of the host, the region the form's field, the repository the path up to its tag
/// (`:`) or digest (`@`), which a repository name never holds.
fn repository_of_any_ecr_image(value: &Value, cut: &str, form: EcrHostForm) -> Value {
    let host_and_path = json!({"Fn::Split": [cut, value]});
    let host_field = |index: usize| json!({"Fn::Select": [index, {"Fn::Split": [".", {"Fn::Select": [0, host_and_path]}]}]});
    let repository = json!({"Fn::Select": [0, {"Fn::Split": ["@",
        {"Fn::Select": [0, {"Fn::Split": [":", {"Fn::Select": [1, host_and_path]}]}]}]}]});
    json!({"Fn::Sub": [
        "arn:${AWS::Partition}:ecr:${Region}:${Account}:repository/${Repository}",
        {"Region": host_field(form.region_field), "Account": host_field(0), "Repository": repository}
    ]})
}

fn intrinsic_pull(image: &Value, scope: &TemplateScope<'_>) -> Result<Vec<Value>, String> {
    if let Some(name) = crate::template::value::ref_target(image)
        && scope.is_parameter(name)
    {
        return Err(format!(
            "parameter {name} has no value to read the image from, so the execution role could not be limited to it; {}",
            scope.how_to_give_value(name)
        ));
    }
    if let Some(repository) = ecr_repository_attribute(image, scope) {
        return Ok(vec![crate::template::value::get_att_arn(&repository)]);
    }
    let Some((template, variables)) = sub_arguments(image) else {
        return Err(CANNOT_TELL.to_owned());
    };
    let parts = parse_sub(template);
    // `${Repository.RepositoryUri}` of the template's own repository, then a tag or digest.
    if let Some(SubPart::Variable(first)) = parts.first()
        && let Some(repository) = repository_uri_variable(first, variables, scope)
    {
        let rest: String = parts[1..]
            .iter()
            .map(|part| match part {
                SubPart::Text(text) => unescape_sub_text(text),
                SubPart::Variable(name) => Cow::Owned(format!("${{{name}}}")),
            })
            .collect();
        if rest.is_empty() || rest.starts_with([':', '@']) {
            return Ok(vec![crate::template::value::get_att_arn(&repository)]);
        }
        return Err("names a repository's URI followed by more than a tag or digest, which is another repository".to_owned());
    }
    // A !Sub whose every variable has a value: read as that text.
    if let Some(sample) = sample_text(&parts, variables, scope) {
        return match read_reference(&sample) {
            Registry::Other => Ok(Vec::new()),
            Registry::Ecr(ecr) => {
                check_suffix(&ecr, scope).map_err(|why| format!("the !Sub {why}"))?;
                Ok(vec![ecr_sub_text(template, variables).unwrap_or_else(
                    || repository_of_any_ecr_image(image, &ecr.cut(), ecr.form),
                )])
            }
        };
    }
    // Variables the macro cannot see: the text must say the registry.
    let segments = split_outside_variables(template, b'/', usize::MAX);
    let host = segments[0];
    if let Some(host) = SubHost::read(host, scope.context.url_suffix()) {
        let own = host.form.own_suffix(scope.context);
        if let Some(suffix) = &host.suffix
            && suffix != own
        {
            return Err(format!("the !Sub {}", outside_partition(host.form, own)));
        }
        return Ok(vec![ecr_sub_text(template, variables).unwrap_or_else(
            || {
                let cut = format!(".{own}{}/", host.port.as_deref().unwrap_or_default());
                repository_of_any_ecr_image(image, &cut, host.form)
            },
        )]);
    }
    // A registry host written out that is not ECR's, or an image of Docker Hub's library
    // with its tag in a variable (`ruby:${Tag}`).
    let host_is_literal_elsewhere = segments.len() > 1
        && sub_literal(host).is_some_and(|host| host.contains(['.', ':']) || host == "localhost");
    let library_image_with_variable_tag = segments.len() == 1
        && matches!(parts.first(), Some(SubPart::Text(text)) if text.contains(':') && !text.contains('.'));
    let docker_hub_namespace = segments.len() > 1
        && sub_literal(host).is_some_and(|host| !host.is_empty() && !host.contains(['.', ':']));
    if host_is_literal_elsewhere || library_image_with_variable_tag || docker_hub_namespace {
        return Ok(Vec::new());
    }
    Err(CANNOT_TELL.to_owned())
}

/// `X` when `value` is `!GetAtt X.RepositoryUri` of an `AWS::ECR::Repository` of the template.
fn ecr_repository_attribute(value: &Value, scope: &TemplateScope<'_>) -> Option<String> {
    let (resource, attribute) = match value.as_object()?.get("Fn::GetAtt")? {
        Value::Array(parts) => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] => {
                (resource.clone(), attribute.clone())
            }
            _ => return None,
        },
        Value::String(dotted) => {
            let (resource, attribute) = dotted.split_once('.')?;
            (resource.to_owned(), attribute.to_owned())
        }
        _ => return None,
    };
    (attribute == "RepositoryUri" && scope.resource_type(&resource) == Some("AWS::ECR::Repository"))
        .then_some(resource)
}

/// The repository of `${X.RepositoryUri}` (or of a list-form variable holding that `GetAtt`).
fn repository_uri_variable(
    name: &str,
    variables: Option<&serde_json::Map<String, Value>>,
    scope: &TemplateScope<'_>,
) -> Option<String> {
    if let Some(value) = variables.and_then(|v| v.get(name)) {
        return ecr_repository_attribute(value, scope);
    }
    let (resource, attribute) = name.split_once('.')?;
    (attribute == "RepositoryUri" && scope.resource_type(resource) == Some("AWS::ECR::Repository"))
        .then(|| resource.to_owned())
}

/// The text of a `Fn::Sub` whose every variable the macro knows (pseudo parameters, template
/// parameters with values, list-form variables written as text).
fn sample_text(
    parts: &[SubPart<'_>],
    variables: Option<&serde_json::Map<String, Value>>,
    scope: &TemplateScope<'_>,
) -> Option<String> {
    let mut sample = String::new();
    for part in parts {
        match part {
            SubPart::Text(text) => sample.push_str(&unescape_sub_text(text)),
            SubPart::Variable(name) => {
                let known = match variables.and_then(|v| v.get(*name)) {
                    Some(Value::String(text)) => Some(std::borrow::Cow::Borrowed(text.as_str())),
                    Some(other) => crate::template::value::ref_target(other)
                        .and_then(|parameter| scope.sample_variable(parameter)),
                    None => scope.sample_variable(name),
                };
                sample.push_str(&known?);
            }
        }
    }
    Some(sample)
}

/// The repository ARN of an ECR image `!Sub` whose host is `<account>.dkr.ecr.<region>.<suffix>`
/// and whose repository is written before a literal tag or digest (or is all text), built from
/// its own pieces. `None` when the repository's end is in a variable that may hold the tag.
fn ecr_sub_text(
    template: &str,
    variables: Option<&serde_json::Map<String, Value>>,
) -> Option<Value> {
    let (host, path) = split_once_outside_variables(template, b'/')?;
    let host = SubHost::read(host, "")?;
    let (repository, ends_in_text) = match first_outside_variables(path, *b":@") {
        Some(index) => (&path[..index], true),
        None => (path, false),
    };
    let repository_is_text = sub_literal(repository).is_some();
    if repository.is_empty() || !(ends_in_text || repository_is_text) {
        return None;
    }
    // The ARN in the image's own `Fn::Sub` syntax, with the variables it uses.
    let arn = format!(
        "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{repository}",
        host.fields[host.form.region_field], host.fields[0]
    );
    Some(crate::features::secrets::sub_piece(&arn, variables))
}

/// The ECR registry host of a `!Sub`'s text, its fields in `Fn::Sub` syntax.
struct SubHost<'t> {
    form: EcrHostForm,
    fields: Vec<&'t str>,
    /// The domain suffix when written as text or as `${AWS::URLSuffix}`.
    suffix: Option<String>,
    /// `:443` when written as text.
    port: Option<String>,
}

impl<'t> SubHost<'t> {
    /// `url_suffix` is what `${AWS::URLSuffix}` stands for.
    fn read(host: &'t str, url_suffix: &str) -> Option<Self> {
        let (host, port) = match split_once_outside_variables(host, b':') {
            Some((host, port)) => (host, sub_literal(port).map(|port| format!(":{port}"))),
            None => (host, Some(String::new())),
        };
        let fields = split_outside_variables(host, b'.', usize::MAX);
        let literal: Vec<Cow<'_, str>> = fields
            .iter()
            .map(|field| sub_literal(field).unwrap_or_default())
            .collect();
        let form = EcrHostForm::of(&literal)?;
        let suffix = fields[form.suffix_field()..].join(".");
        let suffix = match suffix.as_str() {
            "${AWS::URLSuffix}" => Some(url_suffix.to_owned()),
            _ => sub_literal(&suffix).map(Cow::into_owned),
        };
        Some(Self {
            form,
            fields,
            suffix,
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExpansionContext;

    fn pull(image: Value) -> Result<Vec<Value>, String> {
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        context.parameter_values.insert(
            "EcrImage".into(),
            json!("210987654321.dkr.ecr.eu-west-1.amazonaws.com/ci/ruby@sha256:abc"),
        );
        context
            .parameter_values
            .insert("HubImage".into(), json!("ruby:3.3"));
        let parameters = json!({"EcrImage": {"Type": "String"}, "HubImage": {"Type": "String"}, "Tag": {"Type": "String"}, "Unset": {"Type": "String"}});
        let resources = json!({"Repo": {"Type": "AWS::ECR::Repository"}, "Bucket": {"Type": "AWS::S3::Bucket"}});
        let scope = TemplateScope {
            context: &context,
            parameters: Some(parameters.as_object().unwrap()),
            resources: resources.as_object().unwrap(),
        };
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
        let scope = TemplateScope {
            context: &context,
            parameters: None,
            resources: &resources,
        };
        let arn = Ok(vec![
            json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:cn-north-1:123456789012:repository/ci"}),
        ]);
        for image in [
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/ci:1",
            "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/ci:1",
        ] {
            assert_eq!(pull_grant(&json!(image), &scope), arn, "{image}");
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
        let scope = TemplateScope {
            context: &context,
            parameters: parameters.as_object(),
            resources: &resources,
        };
        let granted = pull_grant(&json!({"Ref": "Image"}), &scope).unwrap();
        let text = granted[0].to_string();
        assert!(
            text.contains(r#"{"Fn::Split":[".on.aws:443/",{"Ref":"Image"}]}"#),
            "{text}"
        );
        // The region is the third field of a dual-stack host.
        assert!(text.contains(r#""Region":{"Fn::Select":[2,"#), "{text}");
        let sub = json!({"Fn::Sub": ["${Account}.dkr-ecr-fips.eu-west-1.on.aws/${Name}:1", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]});
        assert_eq!(
            pull_grant(&sub, &scope),
            Ok(vec![
                json!({"Fn::Sub": ["arn:${AWS::Partition}:ecr:eu-west-1:${Account}:repository/${Name}", {"Account": {"Fn::ImportValue": "a"}, "Name": {"Fn::ImportValue": "n"}}]})
            ])
        );
        // A dual-stack host is not under the URL suffix, whatever else is unknown.
        let url_suffix = json!({"Fn::Sub": ["${Account}.dkr-ecr.eu-west-1.${AWS::URLSuffix}/ci:1", {"Account": {"Fn::ImportValue": "a"}}]});
        let refused = pull_grant(&url_suffix, &scope).unwrap_err();
        assert!(refused.contains("end in .on.aws"), "{refused}");
        let unset_end = json!({"Fn::Sub": ["${AWS::AccountId}.dkr-ecr.${AWS::Region}.on.aws/${Rest}", {"Rest": {"Fn::ImportValue": "r"}}]});
        let cut = pull_grant(&unset_end, &scope).unwrap()[0].to_string();
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
        let cut = pull(json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Unset}"})).unwrap();
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
    fn an_opaque_image_is_refused_with_the_forms_that_work() {
        for image in [
            json!({"Fn::ImportValue": "image"}),
            json!({"Fn::Sub": "${Unset}/ci:1"}),
            json!({"Fn::Join": ["", ["a", "b"]]}),
        ] {
            let why = pull(image.clone()).unwrap_err();
            assert!(
                why.contains("AttachTaskExecutionRolePolicy"),
                "{image}: {why}"
            );
        }
        let unset = pull(json!({"Ref": "Unset"})).unwrap_err();
        assert!(unset.contains("parameter Unset has no value"), "{unset}");
    }
}
