//! Container images: read and checked (`reading.rs`, `reference.rs`), and what the execution
//! role must be allowed to pull each: nothing for an image outside a private ECR registry, the
//! ECR pull actions on exactly its repository for one inside (`PullImages`).

mod reading;
mod reference;

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::template::scope::{Resolved, TemplateScope};
use crate::template::sub::{
    SubPart, first_outside_variables, parse_sub, split_once_outside_variables,
    split_outside_variables, sub_arguments, sub_literal, unescape_sub_text,
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
    fn own_suffix(self, context: &crate::template::context::ExpansionContext) -> &'static str {
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
        return Ok(vec![crate::template::arn::get_att_arn(&repository)]);
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
            return Ok(vec![crate::template::arn::get_att_arn(&repository)]);
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
    Some(crate::template::sub::sub_piece(&arn, variables))
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

/// The ECR actions that pull an image's layers, granted on its repository.
pub const ECR_PULL_ACTIONS: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];

/// The execution role's `PullImages`: the ECR repositories of the containers' images.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "PullImages",
    role: GrantedRole::Execution {
        covered_by_managed_policy: true,
    },
    statements: |properties, _| {
        let repositories = properties.execution_role_pulls();
        if repositories.is_empty() {
            return None;
        }
        Some(vec![
            Statement::Allow(Allow::new(
                "PullFromTheRepositoriesUsed",
                Actions::List(&ECR_PULL_ACTIONS),
                Value::Array(repositories.into_iter().cloned().collect()),
            )),
            // ECR's registry login, which takes no resource but `*`.
            Statement::Allow(Allow::new(
                "LogInToTheRegistry",
                Actions::One("ecr:GetAuthorizationToken"),
                Value::String("*".to_owned()),
            )),
        ])
    },
};

#[cfg(test)]
mod tests;
