//! Container images: read and checked (`reading.rs`, `reference.rs`), and what the execution
//! role must be allowed to pull each: nothing for an image outside a private ECR registry, the
//! ECR pull actions on exactly its repository for one inside (`PullImages`).

mod reading;
mod reference;

use serde_json::{Value, json};

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::template::arn::get_att_arn;
use crate::template::evaluate::{Evaluated, Piece, Text, Written, describe_computed};
use crate::template::scope::{Resolved, TemplateScope};
use crate::template::value::fn_sub;

/// The repository ARN an image the macro cannot place is pulled from: any repository of the
/// stack's partition, the ECR pull that AWS's `AmazonECSTaskExecutionRolePolicy`, which the first
/// release attached, gives (there on `*`).
pub const ANY_REPOSITORY: &str = "arn:${AWS::Partition}:ecr:*:*:repository/*";

/// The forms that narrow the pull of an image the macro cannot place, named in its note.
pub(crate) const NARROWING_FORMS: &str = "write the image as text, a !Ref to a parameter with a value, !GetAtt <an AWS::ECR::Repository>.RepositoryUri (or that followed by :<tag>), or a !Sub or !Join whose text names the registry: \"${Account}.dkr.ecr.${Region}.${AWS::URLSuffix}/<repository>:${Tag}\" for ECR, \"docker.io/${Name}\" for Docker Hub";

/// What the execution role pulls an image from.
#[derive(Debug, Default, PartialEq)]
pub struct ImagePull {
    /// The ECR repository ARNs: none for an image outside a private ECR registry, one for an
    /// ECR image, one per branch of an `Fn::If`; [`ANY_REPOSITORY`] for one it cannot place.
    pub repositories: Vec<Value>,
    /// For an image the macro cannot place, the note that says so, by the forms that narrow it.
    pub unplaced: Option<String>,
}

impl ImagePull {
    fn exact(repositories: Vec<Value>) -> Self {
        Self {
            repositories,
            unplaced: None,
        }
    }

    fn unplaced(why: String) -> Self {
        Self {
            repositories: vec![fn_sub(Value::String(ANY_REPOSITORY.to_owned()))],
            unplaced: Some(why),
        }
    }
}

/// What the execution role pulls `image` from. `Err` says why the image can be pulled from
/// nowhere; it never contains a parameter's value.
pub fn pull_grant(image: &Value, scope: &TemplateScope<'_>) -> Result<ImagePull, String> {
    if let Some(branches) = if_branches(image) {
        let mut pull = ImagePull::default();
        for branch in branches {
            if scope.resolve(branch) != Resolved::NoValue {
                let branch = pull_grant(branch, scope)?;
                pull.repositories.extend(branch.repositories);
                pull.unplaced = pull.unplaced.or(branch.unplaced);
            }
        }
        pull.repositories = crate::template::value::distinct(pull.repositories);
        return Ok(pull);
    }
    match scope.resolve(image) {
        Resolved::Literal(Value::String(text)) => literal_pull(text, scope)
            .map(ImagePull::exact)
            .map_err(|why| format!("{} {why}", show(image))),
        Resolved::Parameter {
            name,
            value: Value::String(text),
        } => match read_reference(&text) {
            Registry::Other => Ok(ImagePull::default()),
            Registry::Ecr(ecr) => {
                check_suffix(&ecr, scope)
                    .map_err(|why| format!("the value of parameter {name} {why}"))?;
                Ok(ImagePull::exact(vec![repository_of_any_ecr_image(
                    image,
                    &ecr.cut(),
                    ecr.form,
                )]))
            }
        },
        Resolved::Literal(_) | Resolved::NoValue => Ok(ImagePull::default()),
        Resolved::Parameter { name, .. } => Err(format!(
            "parameter {name} does not hold an image name, so the execution role could not be limited to it"
        )),
        Resolved::Unknown => match scope.evaluate(image) {
            Evaluated::NoValue => Ok(ImagePull::default()),
            Evaluated::Known(Value::String(text)) => literal_pull(&text, scope)
                .map(ImagePull::exact)
                .map_err(|why| format!("{} {why}", describe_computed(image))),
            evaluated => match evaluated.into_text(image) {
                Some(text) => text_pull(image, &text, scope),
                None => Err(format!(
                    "{} is not text, which an image is",
                    describe_computed(image)
                )),
            },
        },
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

/// What the execution role pulls an image of text with holes from: its repository where the
/// text says it, computed by CloudFormation where the macro sees the registry but not all the
/// repository, nothing where the text names another registry, and any repository where it
/// cannot place the image.
fn text_pull(image: &Value, text: &Text, scope: &TemplateScope<'_>) -> Result<ImagePull, String> {
    if let [Piece::Hole(Written::Variable(name))] = text.pieces.as_slice()
        && scope.is_parameter(name)
    {
        return Ok(ImagePull::unplaced(format!(
            "parameter {name} has no value here; {}",
            scope.how_to_give_value(name)
        )));
    }
    // `${Repository.RepositoryUri}` of the template's own repository, then a tag or digest.
    if let Some(Piece::Hole(Written::Variable(first))) = text.pieces.first()
        && let Some(repository) = repository_uri_attribute(first, scope)
    {
        return match text.pieces.get(1) {
            None => Ok(ImagePull::exact(vec![get_att_arn(&repository)])),
            Some(Piece::Literal(rest)) if rest.starts_with([':', '@']) => {
                Ok(ImagePull::exact(vec![get_att_arn(&repository)]))
            }
            Some(_) => Err("names a repository's URI followed by more than a tag or digest, which is another repository".to_owned()),
        };
    }
    // All of it known here: read as that text.
    if let Some(sample) = text.sample() {
        return match read_reference(&sample) {
            Registry::Other => Ok(ImagePull::default()),
            Registry::Ecr(ecr) => {
                check_suffix(&ecr, scope)
                    .map_err(|why| format!("{} {why}", describe_computed(image)))?;
                Ok(ImagePull::exact(vec![
                    ecr_text_arn(text, scope).unwrap_or_else(|| {
                        repository_of_any_ecr_image(image, &ecr.cut(), ecr.form)
                    }),
                ]))
            }
        };
    }
    // Holes the macro cannot see: the text must say the registry.
    let segments = text.split('/', usize::MAX);
    let host = &segments[0];
    if let Some(ecr_host) = TextHost::read(host) {
        let own = ecr_host.form.own_suffix(scope.context);
        if let Some(suffix) = &ecr_host.suffix
            && suffix != own
        {
            return Err(format!(
                "{} {}",
                describe_computed(image),
                outside_partition(ecr_host.form, own)
            ));
        }
        return Ok(ImagePull::exact(vec![
            ecr_text_arn(text, scope).unwrap_or_else(|| {
                let cut = format!(".{own}{}/", ecr_host.port.as_deref().unwrap_or_default());
                repository_of_any_ecr_image(image, &cut, ecr_host.form)
            }),
        ]));
    }
    // A registry host written out that is not ECR's, or an image of Docker Hub's library
    // with its tag in a hole (`ruby:${Tag}`).
    let host_text = host.as_literal();
    let host_is_literal_elsewhere = segments.len() > 1
        && host_text.is_some_and(|host| host.contains(['.', ':']) || host == "localhost");
    let library_image_with_variable_tag = segments.len() == 1
        && matches!(text.pieces.first(), Some(Piece::Literal(text)) if text.contains(':') && !text.contains('.'));
    let docker_hub_namespace = segments.len() > 1
        && host_text.is_some_and(|host| !host.is_empty() && !host.contains(['.', ':']));
    if host_is_literal_elsewhere || library_image_with_variable_tag || docker_hub_namespace {
        return Ok(ImagePull::default());
    }
    Ok(ImagePull::unplaced(format!(
        "{} leaves its registry to the deploy",
        describe_computed(image)
    )))
}

/// `X` when `name` is `X.RepositoryUri` of an `AWS::ECR::Repository` of the template.
fn repository_uri_attribute(name: &str, scope: &TemplateScope<'_>) -> Option<String> {
    let (resource, attribute) = name.split_once('.')?;
    (attribute == "RepositoryUri" && scope.resource_type(resource) == Some("AWS::ECR::Repository"))
        .then(|| resource.to_owned())
}

/// The repository ARN of an ECR image whose host is `<account>.dkr.ecr.<region>.<suffix>` and
/// whose repository is written before a literal tag or digest (or is all literal, or ends in
/// a repository's `Ref`), built from its own pieces. `None` when the repository's end is in a hole that may hold the tag.
fn ecr_text_arn(text: &Text, scope: &TemplateScope<'_>) -> Option<Value> {
    let [host, path] = <[Text; 2]>::try_from(text.split('/', 2)).ok()?;
    let host = TextHost::read(&host)?;
    let (repository, ends_in_text) = before_tag_or_digest(&path);
    // A repository of the template's `Ref` is its name, which holds no tag.
    let ends_in_repository_name = matches!(repository.pieces.last(),
        Some(Piece::Hole(Written::Variable(name))) if scope.resource_type(name) == Some("AWS::ECR::Repository"));
    if repository.pieces.is_empty()
        || !(ends_in_text || ends_in_repository_name || repository.as_literal().is_some())
    {
        return None;
    }
    let mut arn = Text::literal("arn:");
    arn.push(Piece::Known {
        value: scope.context.partition().to_owned(),
        written: Written::Variable("AWS::Partition".to_owned()),
    });
    arn.push(Piece::Literal(":ecr:".to_owned()));
    arn.extend(host.fields[host.form.region_field].clone());
    arn.push(Piece::Literal(":".to_owned()));
    arn.extend(host.fields[0].clone());
    arn.push(Piece::Literal(":repository/".to_owned()));
    arn.extend(repository);
    Some(arn.to_value())
}

/// An image's path up to the first `:` or `@` of its literal text, and whether there is one.
fn before_tag_or_digest(path: &Text) -> (Text, bool) {
    let mut repository = Text::default();
    for piece in &path.pieces {
        if let Piece::Literal(literal) = piece
            && let Some(end) = literal.find([':', '@'])
        {
            repository.push(Piece::Literal(literal[..end].to_owned()));
            return (repository, true);
        }
        repository.push(piece.clone());
    }
    (repository, false)
}

/// The ECR registry host of an image's text, its fields as text.
struct TextHost {
    form: EcrHostForm,
    fields: Vec<Text>,
    /// The domain suffix, when known here (written, or `${AWS::URLSuffix}`).
    suffix: Option<String>,
    /// `:443` when written as text.
    port: Option<String>,
}

impl TextHost {
    fn read(host: &Text) -> Option<Self> {
        let mut parts = host.split(':', 2).into_iter();
        let host = parts.next()?;
        let port = match parts.next() {
            Some(port) => port.as_literal().map(|port| format!(":{port}")),
            None => Some(String::new()),
        };
        let fields = host.split('.', usize::MAX);
        let literal: Vec<&str> = fields
            .iter()
            .map(|field| field.as_literal().unwrap_or_default())
            .collect();
        let form = EcrHostForm::of(&literal)?;
        let suffix: Option<Vec<String>> = fields[form.suffix_field()..]
            .iter()
            .map(Text::sample)
            .collect();
        Some(Self {
            form,
            fields,
            suffix: suffix.map(|suffix| suffix.join(".")),
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
