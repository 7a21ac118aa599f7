//! Reading and checking the properties of one `Buildkite::ECS::TaskDefinition`, each by its
//! declaration in [`crate::property_table`].

use serde_json::{Map, Value, json};

use crate::fargate;
use crate::problems::{Problems, unknown_name_message};
use crate::property_table::{
    AGENT_TOKEN_VARIABLE, ENVIRONMENT_ENTRY, EntryShape, PropertyDeclaration, PropertyDefault,
    SECRET_ENTRY, SERVICE_ENTRY, Shape, VOLUME_ENTRY, declaration, property_names,
};
use crate::secret_grant::{SecretGrant, agent_token_grant, grant_for, registry_credentials_grant};
use crate::value::{Resolved, TemplateScope, object};

/// Container names the macro gives its own containers.
pub const RESERVED_CONTAINER_NAMES: [&str; 3] = [
    crate::generate::AGENT_CONTAINER,
    crate::generate::SIDECAR_CONTAINER,
    crate::generate::SSH_AGENT_CONTAINER,
];
/// The task volume the macro gives the ssh agent's socket.
pub const SSH_VOLUME: &str = "ssh-agent";

/// A value and the place it was written, which may be `Globals.TaskDefinition`, or the
/// template parameter a property defaults to.
#[derive(Debug, Clone)]
pub struct Sourced<'a> {
    pub value: &'a Value,
    pub path: String,
}

/// A property as given to one resource after `Globals.TaskDefinition` is applied.
#[derive(Debug, Clone)]
pub enum PropertyInput<'a> {
    Single(Sourced<'a>),
    /// A list merged from the globals and the resource, entry by entry.
    Entries {
        path: String,
        entries: Vec<Sourced<'a>>,
    },
}

impl PropertyInput<'_> {
    pub fn path(&self) -> &str {
        match self {
            PropertyInput::Single(sourced) => &sourced.path,
            PropertyInput::Entries { path, .. } => path,
        }
    }
}

/// An entry of a container's `Secrets`, with what the execution role needs to read it.
#[derive(Debug, Clone)]
pub struct ContainerSecret {
    pub name: Value,
    pub value_from: Value,
    pub grant: SecretGrant,
}

/// A Secrets Manager secret holding a private registry's credentials.
#[derive(Debug, Clone)]
pub struct RegistryCredentials {
    pub secret: Value,
    pub grant: SecretGrant,
}

#[derive(Debug, Clone)]
pub struct SshAgent {
    /// The execute-api stage ARN as written.
    pub backend: Value,
    /// The parts of a literal ARN, computed here; `None` for an intrinsic.
    pub literal_stage: Option<(String, String, String)>,
    pub image: Value,
}

/// A container beside the agent (`Services`).
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    pub name: String,
    pub image: Value,
    pub environment: Vec<(Value, Value)>,
    pub secrets: Vec<ContainerSecret>,
    pub command: Option<Value>,
    pub health_check: Option<Value>,
    pub repository_credentials: Option<RegistryCredentials>,
    pub essential: bool,
    /// Names of `Volumes` mounted into it.
    pub volumes: Vec<String>,
}

/// An EFS file system mounted into the containers (`Volumes`).
#[derive(Debug, Clone)]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: Value,
    pub access_point_id: Option<Value>,
    pub root_directory: Option<Value>,
    pub container_path: Value,
    pub read_only: bool,
}

/// The checked properties of one resource, each as it goes into the output.
#[derive(Debug, Clone)]
pub struct TaskDefinitionProperties {
    pub image: Value,
    pub agent_sidecar_image: Option<Value>,
    pub ssh_agent: Option<SshAgent>,
    pub agent_token: ContainerSecret,
    pub secrets: Vec<ContainerSecret>,
    /// `(Name, Value)` entries, values as strings.
    pub environment: Vec<(Value, Value)>,
    pub family: Value,
    pub cpu: Value,
    pub memory: Value,
    pub task_role_arn: Option<Value>,
    pub task_role_policies: Vec<Value>,
    pub task_role_managed_policy_arns: Vec<Value>,
    pub execution_role_path: Value,
    pub task_role_path: Value,
    pub log_retention_days: Value,
    pub log_kms_key_id: Option<Value>,
    pub cpu_architecture: Value,
    pub ephemeral_storage_gib: Option<Value>,
    pub permissions_boundary: Option<Value>,
    pub tags: Vec<Value>,
    pub repository_credentials: Option<RegistryCredentials>,
    pub services: Vec<ServiceContainer>,
    pub volumes: Vec<EfsVolume>,
    pub execute_command: bool,
    pub stop_timeout: Option<Value>,
}

impl TaskDefinitionProperties {
    /// Every secret the execution role reads: the agent's, its registry's, the services'.
    pub fn execution_role_grants(&self) -> Vec<&SecretGrant> {
        let agent = std::iter::once(&self.agent_token)
            .chain(&self.secrets)
            .map(|secret| &secret.grant)
            .chain(self.repository_credentials.iter().map(|c| &c.grant));
        let services = self.services.iter().flat_map(|service| {
            service
                .secrets
                .iter()
                .map(|secret| &secret.grant)
                .chain(service.repository_credentials.iter().map(|c| &c.grant))
        });
        agent.chain(services).collect()
    }
}

/// Reads the properties of resource `logical_id`, recording every problem. Returns
/// `None` when a problem leaves nothing sound to build from.
pub fn read_properties(
    logical_id: &str,
    properties_path: &str,
    inputs: &[(String, PropertyInput<'_>)],
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) -> Option<TaskDefinitionProperties> {
    let before = problems.len();
    for (name, input) in inputs {
        if declaration(name).is_none() {
            problems.push(
                input.path(),
                unknown_name_message("property", name, &property_names()),
            );
        }
    }
    // The first release's parameters, for the properties that default to them.
    let parameter_defaults: Vec<ParameterDefault> = crate::property_table::PROPERTIES
        .iter()
        .filter_map(|property| match property.default {
            PropertyDefault::FirstReleaseParameter { parameter, .. }
                if scope.is_parameter(parameter) =>
            {
                Some(ParameterDefault {
                    property: property.name,
                    path: format!("Parameters.{parameter}"),
                    reference: json!({ "Ref": parameter }),
                })
            }
            _ => None,
        })
        .collect();
    let mut reader = PropertyReader {
        scope,
        problems,
        inputs,
        parameter_defaults: &parameter_defaults,
        properties_path,
    };

    let image = reader.required_text("Image", "the image of the agent container");
    let agent_sidecar_image = reader.text("BuildkiteAgentImage");
    let ssh_agent = reader.ssh_agent();
    let agent_token = reader.agent_token();

    let mut agent_names = UsedNames::default();
    agent_names.claim(AGENT_TOKEN_VARIABLE, "BuildkiteAgentTokenParameterPath");
    let secrets = reader.secrets(reader.input("Secrets"), &mut agent_names);
    let environment = reader.environment(reader.input("Environment"), &mut agent_names);
    let family = reader.family(logical_id);
    let (cpu, memory) = reader.cpu_and_memory();

    let task_role_arn = reader.text("TaskRoleArn");
    let task_role_policies = reader.list(reader.input("TaskRolePolicies"), |reader, entry| {
        reader.policy(entry)
    });
    let task_role_managed_policy_arns = reader.list(
        reader.input("TaskRoleManagedPolicyArns"),
        |reader, entry| {
            let context = reader.scope.context;
            reader
                .required_string_checked(entry, |text| crate::arn::check_policy_arn(text, context))
        },
    );
    if task_role_arn.is_some() {
        for name in ["TaskRolePolicies", "TaskRoleManagedPolicyArns"] {
            if let Some(input) = reader.input(name) {
                reader.problems.push(input.path(), "has no effect with TaskRoleArn: no task role is generated, so attach these to your own role");
            }
        }
    }
    let execution_role_path = reader.text_or_default("ExecutionRolePath");
    let task_role_path = reader.text_or_default("TaskRolePath");

    let log_retention_days = reader.number_or_default("LogRetentionInDays");
    let log_kms_key_id = reader.text("LogKmsKeyId");
    let cpu_architecture = reader.text_or_default("CpuArchitecture");
    let ephemeral_storage_gib = reader.number("EphemeralStorageGiB").map(|(value, _)| value);
    let permissions_boundary = reader.text("PermissionsBoundary");
    let tags = reader.list(reader.input("Tags"), |reader, entry| reader.tag(entry));

    let repository_credentials = reader
        .sourced("RepositoryCredentials")
        .and_then(|sourced| reader.registry_credentials(&sourced));
    let volumes = reader.volumes(agent_sidecar_image.is_some(), ssh_agent.is_some());
    let services = reader.services(&volumes);
    let execute_command = reader.boolean_property("ExecuteCommand");
    let stop_timeout = reader.number("StopTimeout").map(|(value, _)| value);

    if problems.len() > before {
        return None;
    }
    Some(TaskDefinitionProperties {
        image: image?,
        agent_sidecar_image,
        ssh_agent,
        agent_token: agent_token?,
        secrets,
        environment,
        family,
        cpu,
        memory,
        task_role_arn,
        task_role_policies,
        task_role_managed_policy_arns,
        execution_role_path,
        task_role_path,
        log_retention_days,
        log_kms_key_id,
        cpu_architecture,
        ephemeral_storage_gib,
        permissions_boundary,
        tags,
        repository_credentials,
        services,
        volumes,
        execute_command,
        stop_timeout,
    })
}

/// The names used so far in one namespace (a container's variables, the containers, the
/// volumes), and where.
#[derive(Default)]
struct UsedNames {
    used: Vec<(String, String)>,
}

impl UsedNames {
    /// `Some(place of the first use)` when `name` is taken already.
    fn claim(&mut self, name: &str, place: &str) -> Option<String> {
        if let Some((_, first)) = self.used.iter().find(|(used, _)| used == name) {
            return Some(first.clone());
        }
        self.used.push((name.to_owned(), place.to_owned()));
        None
    }
}

struct PropertyReader<'s, 'p, 'i> {
    scope: &'s TemplateScope<'s>,
    problems: &'p mut Problems,
    inputs: &'i [(String, PropertyInput<'i>)],
    /// The properties that default to a parameter the template declares.
    parameter_defaults: &'i [ParameterDefault],
    properties_path: &'i str,
}

/// A property that defaults to a template parameter the template declares: the `Ref` to it,
/// and the place a problem with its value is reported.
struct ParameterDefault {
    property: &'static str,
    path: String,
    reference: Value,
}

fn declared(name: &str) -> &'static PropertyDeclaration {
    declaration(name).unwrap_or_else(|| panic!("{name} is not a declared property"))
}

/// The entries a list property declares.
fn list_entry(name: &str) -> EntryShape {
    match declared(name).shape {
        Shape::List(list) => list.entry,
        _ => unreachable!("{name} is a list"),
    }
}

impl<'i> PropertyReader<'_, '_, 'i> {
    fn input(&self, name: &str) -> Option<&'i PropertyInput<'i>> {
        self.inputs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, input)| input)
    }

    /// The value given for a property, or the `Ref` to the first release's parameter it
    /// defaults to.
    fn sourced(&self, name: &str) -> Option<Sourced<'i>> {
        match self.input(name) {
            Some(PropertyInput::Single(sourced)) => Some(sourced.clone()),
            Some(PropertyInput::Entries { .. }) => None,
            None => {
                let default = self
                    .parameter_defaults
                    .iter()
                    .find(|d| d.property == name)?;
                Some(Sourced {
                    value: &default.reference,
                    path: default.path.clone(),
                })
            }
        }
    }

    fn place(&self, name: &str) -> String {
        format!("{}.{name}", self.properties_path)
    }

    fn text_check(name: &str) -> Option<crate::property_table::TextCheck> {
        match declared(name).shape {
            Shape::Text(check) => check,
            _ => None,
        }
    }

    /// An optional string property, checked as declared; `None` when absent or unset.
    fn text(&mut self, name: &str) -> Option<Value> {
        let sourced = self.sourced(name)?;
        let check = Self::text_check(name);
        let context = self.scope.context;
        self.optional_string(&sourced, |text| check.map_or(Ok(()), |c| c(text, context)))
    }

    /// A string property with a default: the value, else the declared default.
    fn text_or_default(&mut self, name: &str) -> Value {
        let default = match declared(name).default {
            PropertyDefault::Text(text)
            | PropertyDefault::FirstReleaseParameter {
                otherwise: text, ..
            } => text,
            _ => unreachable!("{name} declares a text default"),
        };
        self.text(name).unwrap_or_else(|| json!(default))
    }

    fn required_text(&mut self, name: &str, what: &str) -> Option<Value> {
        let Some(sourced) = self.sourced(name) else {
            self.problems
                .push(self.place(name), format!("is required: {what}"));
            return None;
        };
        let before = self.problems.len();
        let value = self.text(name);
        if value.is_none() && self.problems.len() == before {
            self.problems
                .push(&sourced.path, format!("must not be empty: it is {what}"));
        }
        value
    }

    /// A whole-number property: the value for the output and the number when known, or the
    /// declared default; `None` when absent without a default.
    fn number(&mut self, name: &str) -> Option<(Value, Option<u64>)> {
        let check = match declared(name).shape {
            Shape::WholeNumber(check) => check,
            _ => unreachable!("{name} is a whole number"),
        };
        match self.sourced(name) {
            Some(sourced) => Some(self.whole_number(&sourced, |n| check.map_or(Ok(()), |c| c(n)))),
            None => match declared(name).default {
                PropertyDefault::Number(number) => Some((json!(number), Some(number))),
                _ => None,
            },
        }
    }

    fn number_or_default(&mut self, name: &str) -> Value {
        self.number(name)
            .map(|(value, _)| value)
            .unwrap_or_default()
    }

    fn boolean_property(&mut self, name: &str) -> bool {
        let default = match declared(name).default {
            PropertyDefault::Boolean(flag) => flag,
            _ => false,
        };
        self.sourced(name)
            .and_then(|sourced| self.boolean(&sourced))
            .unwrap_or(default)
    }

    fn family(&mut self, logical_id: &str) -> Value {
        match self.sourced("TaskFamily") {
            Some(sourced) => self.text("TaskFamily").unwrap_or_else(|| {
                self.problems.push(&sourced.path, "must not be empty");
                Value::Null
            }),
            None => {
                let family = logical_id.to_ascii_lowercase();
                if let Err(why) = crate::property_table::check_family(&family, self.scope.context) {
                    self.problems.push(self.place("TaskFamily"), format!("the default family {family:?} (the logical ID in lower case) {why}; set TaskFamily"));
                }
                Value::String(family)
            }
        }
    }

    /// `Cpu` and `Memory` as the task definition takes them (strings), checked as a pair.
    fn cpu_and_memory(&mut self) -> (Value, Value) {
        let (cpu, known_cpu) = self.number("TaskCpu").unwrap_or_default();
        let (memory, known_memory) = self.number("TaskMemory").unwrap_or_default();
        if let (Some(cpu), Some(memory)) = (known_cpu, known_memory)
            && let Some(why) = fargate::pair_problem(cpu, memory)
        {
            // A size from a parameter is named by the parameter, never by its value.
            let parameter = |name: &str| {
                self.sourced(name)
                    .map(|s| self.scope.resolve(s.value))
                    .filter(|resolved| matches!(resolved, Resolved::Parameter { .. }))
            };
            let why = match (parameter("TaskCpu"), parameter("TaskMemory")) {
                (None, None) => why,
                (None, Some(memory)) => format!(
                    "{} is not a Fargate memory size for {cpu} CPU units ({})",
                    memory.describe(),
                    fargate::memory_sizes_for(cpu).unwrap_or_default()
                ),
                (Some(cpu_parameter), memory_parameter) => format!(
                    "{} is not a Fargate memory size for {} as CPU units",
                    memory_parameter.map_or_else(|| format!("{memory} MiB"), |m| m.describe()),
                    cpu_parameter.describe()
                ),
            };
            let place = self
                .sourced("TaskMemory")
                .or(self.sourced("TaskCpu"))
                .map_or_else(|| self.place("TaskMemory"), |s| s.path);
            self.problems.push(place, why);
        }
        let as_string = |value: Value| match value {
            Value::Number(number) => Value::String(number.to_string()),
            other => other,
        };
        (as_string(cpu), as_string(memory))
    }

    fn ssh_agent(&mut self) -> Option<SshAgent> {
        let backend = self.sourced("SshAgentBackend");
        let Some((backend, value)) = backend.and_then(|b| Some((b, self.text("SshAgentBackend")?)))
        else {
            // An image for an ssh agent that is not there is still checked for its shape.
            self.text("SshAgentImage");
            return None;
        };
        let literal_stage = match self.scope.resolve(backend.value) {
            Resolved::Literal(Value::String(text)) => {
                crate::arn::parse_execute_api_stage(text, self.scope.context)
                    .ok()
                    .map(|stage| {
                        (
                            stage.api_id.to_owned(),
                            stage.region.to_owned(),
                            stage.stage.to_owned(),
                        )
                    })
            }
            _ => None,
        };
        Some(SshAgent {
            backend: value,
            literal_stage,
            image: self.text_or_default("SshAgentImage"),
        })
    }

    fn agent_token(&mut self) -> Option<ContainerSecret> {
        const NAME: &str = "BuildkiteAgentTokenParameterPath";
        let (value_from, place) = match self.sourced(NAME) {
            Some(sourced) => (self.required_string(&sourced)?, sourced.path),
            None => (self.text_or_default(NAME), self.place(NAME)),
        };
        let grant = match agent_token_grant(&value_from, self.scope) {
            Ok(grant) => grant,
            Err(why) => {
                self.problems.push(&place, why);
                return None;
            }
        };
        Some(ContainerSecret {
            name: json!(AGENT_TOKEN_VARIABLE),
            value_from,
            grant,
        })
    }

    /// A string, an intrinsic yielding one, or nothing (absent, `""`, `AWS::NoValue`).
    fn optional_string(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Option<Value> {
        let resolved = self.scope.resolve(sourced.value);
        if resolved.is_unset() {
            return None;
        }
        match &resolved {
            Resolved::Literal(Value::String(_)) | Resolved::Parameter { .. } => {
                if let Some(Err(why)) = resolved.as_str().map(&check) {
                    self.problems
                        .push(&sourced.path, format!("{} {why}", resolved.describe()));
                }
                Some(sourced.value.clone())
            }
            Resolved::Literal(other) => {
                self.problems.push(
                    &sourced.path,
                    format!("must be a string, not {}", kind_of(other)),
                );
                None
            }
            Resolved::NoValue => None,
            Resolved::Unknown => Some(sourced.value.clone()),
        }
    }

    fn required_string(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
        self.required_string_checked(sourced, |_| Ok(()))
    }

    fn required_string_checked(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Option<Value> {
        let before = self.problems.len();
        let value = self.optional_string(sourced, check);
        if value.is_none() && self.problems.len() == before {
            self.problems.push(&sourced.path, "must not be empty");
        }
        value
    }

    /// A name the macro must see, written as a string: containers and volumes are matched by it.
    fn literal_name(
        &mut self,
        sourced: &Sourced<'_>,
        what: &str,
        names: &mut UsedNames,
        reserved: &[&str],
    ) -> Option<String> {
        let name = match self.scope.resolve(sourced.value) {
            Resolved::Literal(Value::String(name)) => name.clone(),
            Resolved::Literal(other) => {
                self.problems.push(
                    &sourced.path,
                    format!("must be a string, not {}", kind_of(other)),
                );
                return None;
            }
            _ => {
                self.problems.push(
                    &sourced.path,
                    format!("must be written out, not a function or parameter: the macro refers to a {what} by its name"),
                );
                return None;
            }
        };
        let shown = crate::problems::show_literal(sourced.value);
        let fits = (1..=255).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !fits {
            self.problems.push(
                &sourced.path,
                format!("{shown} is not a {what} name (1 to 255 of A-Z, a-z, 0-9, _ and -)"),
            );
            return None;
        }
        if reserved.contains(&name.as_str()) {
            self.problems.push(
                &sourced.path,
                format!(
                    "{shown} is the name of one the macro generates ({}); choose another",
                    reserved.join(", ")
                ),
            );
            return None;
        }
        if let Some(first) = names.claim(&name, &sourced.path) {
            self.problems.push(
                &sourced.path,
                format!("{shown} is also the name at {first}; each {what} needs a name of its own"),
            );
            return None;
        }
        Some(name)
    }

    /// `true` or `false`, written (a boolean, or the strings CloudFormation writes) or as a
    /// parameter's value; the macro decides with it, so another function is refused.
    fn boolean(&mut self, sourced: &Sourced<'_>) -> Option<bool> {
        let resolved = self.scope.resolve(sourced.value);
        let flag = match resolved.value() {
            None if resolved == Resolved::NoValue => return None,
            None => {
                self.problems.push(
                    &sourced.path,
                    "must be true or false, written or as a parameter's value: the macro decides with it, so it cannot wait for a function to be evaluated",
                );
                return None;
            }
            Some(Value::Bool(flag)) => Some(*flag),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Some(false),
            Some(_) => None,
        };
        if flag.is_none() {
            let message = match &resolved {
                Resolved::Literal(value @ (Value::Array(_) | Value::Object(_) | Value::Null)) => {
                    format!("must be true or false, not {}", kind_of(value))
                }
                _ => format!("{} is not true or false", resolved.describe()),
            };
            self.problems.push(&sourced.path, message);
        }
        flag
    }

    fn grant(&mut self, value_from: &Value, place: &str) -> Option<SecretGrant> {
        match grant_for(value_from, self.scope) {
            Ok(grant) => Some(grant),
            Err(why) => {
                self.problems.push(place, why);
                None
            }
        }
    }

    fn registry_credentials(&mut self, sourced: &Sourced<'_>) -> Option<RegistryCredentials> {
        let secret = self.optional_string(sourced, |_| Ok(()))?;
        match registry_credentials_grant(&secret, self.scope) {
            Ok(grant) => Some(RegistryCredentials { secret, grant }),
            Err(why) => {
                self.problems.push(&sourced.path, why);
                None
            }
        }
    }

    /// A whole number, written as a number or a string of digits, checked when known.
    /// Returns the value for the output and the number when known.
    fn whole_number(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(u64) -> Result<(), String>,
    ) -> (Value, Option<u64>) {
        let resolved = self.scope.resolve(sourced.value);
        let known = match resolved.value() {
            None => return (sourced.value.clone(), None),
            Some(value) => whole_number(value),
        };
        let Some(number) = known else {
            let message = match &resolved {
                Resolved::Literal(
                    value @ (Value::Array(_) | Value::Object(_) | Value::Bool(_) | Value::Null),
                ) => {
                    format!("must be a whole number, not {}", kind_of(value))
                }
                _ => format!("{} is not a whole number", resolved.describe()),
            };
            self.problems.push(&sourced.path, message);
            return (Value::Null, None);
        };
        if let Err(why) = check(number) {
            self.problems
                .push(&sourced.path, format!("{} {why}", resolved.describe()));
            return (Value::Null, None);
        }
        match resolved {
            Resolved::Literal(_) => (json!(number), Some(number)),
            _ => (sourced.value.clone(), Some(number)),
        }
    }

    /// The entries of a list property, each read by `read_entry`.
    fn list<T>(
        &mut self,
        input: Option<&PropertyInput<'_>>,
        mut read_entry: impl FnMut(&mut Self, &Sourced<'_>) -> Option<T>,
    ) -> Vec<T> {
        let entries = match input {
            None => return Vec::new(),
            Some(PropertyInput::Entries { entries, .. }) => entries.clone(),
            Some(PropertyInput::Single(sourced)) => match sourced.value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(index, value)| Sourced {
                        value,
                        path: format!("{}[{index}]", sourced.path),
                    })
                    .collect(),
                Value::Null => Vec::new(),
                other => {
                    let what = if crate::value::is_intrinsic(other) {
                        "an intrinsic function (write the list, with intrinsics in its entries)"
                    } else {
                        kind_of(other)
                    };
                    self.problems
                        .push(&sourced.path, format!("must be a list, not {what}"));
                    return Vec::new();
                }
            },
        };
        entries
            .iter()
            .filter(|entry| self.scope.resolve(entry.value) != Resolved::NoValue)
            .filter_map(|entry| read_entry(self, entry))
            .collect()
    }

    /// The fields of a list entry, an object of the keys `shape` declares; every required
    /// key is there, else a problem.
    fn entry_fields<'v>(
        &mut self,
        entry: &Sourced<'v>,
        shape: EntryShape,
    ) -> Option<&'v Map<String, Value>> {
        let EntryShape::Object { required, .. } = shape else {
            unreachable!("an entry of fields is an object")
        };
        let known = shape.keys();
        let Some(fields) = entry
            .value
            .as_object()
            .filter(|_| !crate::value::is_intrinsic(entry.value))
        else {
            self.problems.push(
                &entry.path,
                format!(
                    "must be an object with {}, not {}",
                    required.join(" and "),
                    kind_of(entry.value)
                ),
            );
            return None;
        };
        let mut sound = true;
        for key in fields.keys() {
            if !known.contains(&key.as_str()) {
                self.problems.push(
                    format!("{}.{key}", entry.path),
                    unknown_name_message("key", key, &known),
                );
                sound = false;
            }
        }
        for key in required {
            if !fields.contains_key(*key) {
                self.problems.push(&entry.path, format!("has no {key}"));
                sound = false;
            }
        }
        sound.then_some(fields)
    }

    /// A variable name: a non-empty string (or an intrinsic), not used before.
    fn variable_name(&mut self, value: &Value, path: &str, names: &mut UsedNames) -> Option<Value> {
        let resolved = self.scope.resolve(value);
        match resolved.as_str() {
            Some("") => {
                self.problems.push(path, "must not be empty");
                return None;
            }
            Some(name)
                if name
                    .chars()
                    .any(|c| c == '=' || c.is_whitespace() || c.is_control()) =>
            {
                self.problems.push(
                    path,
                    format!(
                        "{} is not a variable name (no =, spaces or control characters)",
                        resolved.describe()
                    ),
                );
                return None;
            }
            Some(name) => {
                if let Some(first) = names.claim(name, path) {
                    let why = if name == AGENT_TOKEN_VARIABLE {
                        "is set from BuildkiteAgentTokenParameterPath; set that property instead"
                            .to_owned()
                    } else {
                        format!(
                            "is also given at {first}: a container variable comes from Environment or Secrets once"
                        )
                    };
                    self.problems
                        .push(path, format!("{} {why}", resolved.describe()));
                    return None;
                }
            }
            None if matches!(resolved, Resolved::Literal(_)) => {
                self.problems
                    .push(path, format!("must be a string, not {}", kind_of(value)));
                return None;
            }
            None => {}
        }
        Some(value.clone())
    }

    fn secrets(
        &mut self,
        input: Option<&PropertyInput<'_>>,
        names: &mut UsedNames,
    ) -> Vec<ContainerSecret> {
        self.list(input, |reader, entry| {
            let fields = reader.entry_fields(entry, SECRET_ENTRY)?;
            let name =
                reader.variable_name(&fields["Name"], &format!("{}.Name", entry.path), names);
            let place = format!("{}.ValueFrom", entry.path);
            let value_from = reader.required_string(&Sourced {
                value: &fields["ValueFrom"],
                path: place.clone(),
            })?;
            let grant = reader.grant(&value_from, &place)?;
            Some(ContainerSecret {
                name: name?,
                value_from,
                grant,
            })
        })
    }

    fn environment(
        &mut self,
        input: Option<&PropertyInput<'_>>,
        names: &mut UsedNames,
    ) -> Vec<(Value, Value)> {
        self.list(input, |reader, entry| {
            let fields = reader.entry_fields(entry, ENVIRONMENT_ENTRY)?;
            let name =
                reader.variable_name(&fields["Name"], &format!("{}.Name", entry.path), names);
            let value = reader.scalar_as_string(&fields["Value"], &format!("{}.Value", entry.path));
            Some((name?, value?))
        })
    }

    /// A string, number or boolean as a string (the type ECS and tags take).
    fn scalar_as_string(&mut self, value: &Value, path: &str) -> Option<Value> {
        match value {
            Value::String(_) => Some(value.clone()),
            Value::Number(number) => Some(Value::String(number.to_string())),
            Value::Bool(flag) => Some(Value::String(flag.to_string())),
            _ if crate::value::is_intrinsic(value) => Some(value.clone()),
            other => {
                self.problems.push(
                    path,
                    format!(
                        "must be a string, number or boolean, not {}",
                        kind_of(other)
                    ),
                );
                None
            }
        }
    }

    fn policy(&mut self, entry: &Sourced<'_>) -> Option<Value> {
        let fields = self.entry_fields(entry, list_entry("TaskRolePolicies"))?;
        self.required_string(&Sourced {
            value: &fields["PolicyName"],
            path: format!("{}.PolicyName", entry.path),
        })?;
        let document = &fields["PolicyDocument"];
        if !document.is_object() {
            self.problems.push(
                format!("{}.PolicyDocument", entry.path),
                format!(
                    "must be a policy document object, not {}",
                    kind_of(document)
                ),
            );
            return None;
        }
        Some(entry.value.clone())
    }

    fn tag(&mut self, entry: &Sourced<'_>) -> Option<Value> {
        let fields = self.entry_fields(entry, list_entry("Tags"))?;
        let key_path = format!("{}.Key", entry.path);
        let key = self.required_string_checked(
            &Sourced {
                value: &fields["Key"],
                path: key_path,
            },
            |key| {
                if key.len() > 128 {
                    Err("is longer than the 128 characters a tag key may have".to_owned())
                } else if key.starts_with("aws:") {
                    Err("starts with aws:, which AWS keeps for its own tags".to_owned())
                } else {
                    Ok(())
                }
            },
        )?;
        let value = self.scalar_as_string(&fields["Value"], &format!("{}.Value", entry.path))?;
        Some(object([("Key", key.clone()), ("Value", value)]))
    }

    /// The EFS volumes, each with a name of its own and a mount point that no other mount of
    /// the agent container uses.
    fn volumes(&mut self, has_sidecar: bool, has_ssh_agent: bool) -> Vec<EfsVolume> {
        let mut names = UsedNames::default();
        let mut agent_paths = UsedNames::default();
        if has_sidecar {
            agent_paths.claim("/buildkite", "BuildkiteAgentImage");
        }
        if has_ssh_agent {
            agent_paths.claim("/ssh", "SshAgentBackend");
        }
        self.list(self.input("Volumes"), |reader, entry| {
            let fields = reader.entry_fields(entry, VOLUME_ENTRY)?;
            let field = |key: &str| {
                fields.get(key).map(|value| Sourced {
                    value,
                    path: format!("{}.{key}", entry.path),
                })
            };
            let name = reader.literal_name(
                &field("Name")?,
                "volume",
                &mut names,
                &[SSH_VOLUME],
            );
            let file_system_id = reader.required_string_checked(&field("FileSystemId")?, |id| {
                check_efs_id(id, "fs-", "an EFS file system ID")
            });
            let access_point_id = field("AccessPointId").and_then(|sourced| {
                reader.optional_string(&sourced, |id| {
                    check_efs_id(id, "fsap-", "an EFS access point ID")
                })
            });
            let root_directory = field("RootDirectory").and_then(|sourced| {
                let with_access_point = access_point_id.is_some();
                reader.optional_string(&sourced, |path| {
                    if !path.starts_with('/') {
                        Err("is not an absolute path".to_owned())
                    } else if with_access_point && path != "/" {
                        Err("must be / or left out with AccessPointId: the access point sets the directory".to_owned())
                    } else {
                        Ok(())
                    }
                })
            });
            let container_path_field = field("ContainerPath")?;
            let container_path =
                reader.required_string_checked(&container_path_field, |path| {
                    if path.starts_with('/') && path.len() > 1 {
                        Ok(())
                    } else {
                        Err("is not an absolute path below /".to_owned())
                    }
                });
            if let Some(path) = reader.scope.resolve(container_path_field.value).as_str()
                && let Some(first) = agent_paths.claim(path, &container_path_field.path)
            {
                let shown = reader.scope.resolve(container_path_field.value).describe();
                reader.problems.push(
                    &container_path_field.path,
                    format!("{shown} is also mounted by {first} in the agent container; give each mount its own path"),
                );
            }
            let read_only = field("ReadOnly")
                .and_then(|sourced| reader.boolean(&sourced))
                .unwrap_or(false);
            Some(EfsVolume {
                name: name?,
                file_system_id: file_system_id?,
                access_point_id,
                root_directory,
                container_path: container_path?,
                read_only,
            })
        })
    }

    fn services(&mut self, volumes: &[EfsVolume]) -> Vec<ServiceContainer> {
        let mut names = UsedNames::default();
        self.list(self.input("Services"), |reader, entry| {
            let fields = reader.entry_fields(entry, SERVICE_ENTRY)?;
            let field = |key: &str| {
                fields.get(key).map(|value| Sourced {
                    value,
                    path: format!("{}.{key}", entry.path),
                })
            };
            let list_field = |key: &str| field(key).map(PropertyInput::Single);
            let name = reader.literal_name(
                &field("Name")?,
                "container",
                &mut names,
                &RESERVED_CONTAINER_NAMES,
            );
            let image_field = field("Image")?;
            let image = reader.required_string(&image_field);
            let mut variables = UsedNames::default();
            let environment =
                reader.environment(list_field("Environment").as_ref(), &mut variables);
            let secrets = reader.secrets(list_field("Secrets").as_ref(), &mut variables);
            let command = field("Command").and_then(|sourced| reader.command(&sourced));
            let health_check =
                field("HealthCheck").and_then(|sourced| reader.health_check(&sourced));
            let repository_credentials = field("RepositoryCredentials")
                .and_then(|sourced| reader.registry_credentials(&sourced));
            let essential = field("Essential")
                .and_then(|sourced| reader.boolean(&sourced))
                .unwrap_or(false);
            let mounted = reader.list(list_field("Volumes").as_ref(), |reader, entry| {
                let name = match entry.value {
                    Value::String(name) => name,
                    other => {
                        reader.problems.push(
                            &entry.path,
                            format!("must be the Name of one of Volumes, not {}", kind_of(other)),
                        );
                        return None;
                    }
                };
                if volumes.iter().any(|volume| &volume.name == name) {
                    Some(name.clone())
                } else {
                    let known: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
                    let message = if known.is_empty() {
                        "names no volume: Volumes declares none".to_owned()
                    } else {
                        unknown_name_message("volume", name, &known)
                    };
                    reader.problems.push(&entry.path, message);
                    None
                }
            });
            Some(ServiceContainer {
                name: name?,
                image: image?,
                environment,
                secrets,
                command,
                health_check,
                repository_credentials,
                essential,
                volumes: mounted,
            })
        })
    }

    /// A container command: a list of strings (or functions yielding them), not empty.
    fn command(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
        let input = PropertyInput::Single(sourced.clone());
        let before = self.problems.len();
        let parts = self.list(Some(&input), |reader, part| match part.value {
            Value::String(_) => Some(part.value.clone()),
            value if crate::value::is_intrinsic(value) => Some(value.clone()),
            other => {
                reader.problems.push(
                    &part.path,
                    format!("must be a string, not {}", kind_of(other)),
                );
                None
            }
        });
        if self.problems.len() > before {
            return None;
        }
        if parts.is_empty() {
            self.problems.push(&sourced.path, "must not be empty");
            return None;
        }
        Some(Value::Array(parts))
    }

    /// An ECS health check: `Command` (starting with `CMD` or `CMD-SHELL`) and its timings.
    fn health_check(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
        const SHAPE: EntryShape = EntryShape::Object {
            required: &["Command"],
            optional: &["Interval", "Timeout", "Retries", "StartPeriod"],
        };
        const TIMINGS: [(&str, u64, u64); 4] = [
            ("Interval", 5, 300),
            ("Timeout", 2, 60),
            ("Retries", 1, 10),
            ("StartPeriod", 0, 300),
        ];
        let fields = self.entry_fields(sourced, SHAPE)?;
        let command_path = format!("{}.Command", sourced.path);
        let command = self.command(&Sourced {
            value: &fields["Command"],
            path: command_path.clone(),
        })?;
        let first = command.get(0).and_then(Value::as_str);
        if !matches!(first, Some("CMD" | "CMD-SHELL")) && !command[0].is_object() {
            self.problems.push(
                format!("{command_path}[0]"),
                "must be CMD or CMD-SHELL, as ECS requires of a health check's command",
            );
            return None;
        }
        let mut check = Map::new();
        check.insert("Command".into(), command);
        for (key, low, high) in TIMINGS {
            if let Some(value) = fields.get(key) {
                let (value, _) = self.whole_number(
                    &Sourced {
                        value,
                        path: format!("{}.{key}", sourced.path),
                    },
                    |n| {
                        if (low..=high).contains(&n) {
                            Ok(())
                        } else {
                            Err(format!("is not between {low} and {high}, as ECS requires"))
                        }
                    },
                );
                check.insert(key.into(), value);
            }
        }
        Some(Value::Object(check))
    }
}

/// `fs-` or `fsap-` and 8 to 40 hexadecimal digits, as EFS writes its IDs.
fn check_efs_id(id: &str, prefix: &str, what: &str) -> Result<(), String> {
    let digits = id.strip_prefix(prefix).unwrap_or_default();
    if (8..=40).contains(&digits.len())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(format!("is not {what} ({prefix} and hexadecimal digits)"))
    }
}

/// A whole number from a JSON number or a string of digits.
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        _ => None,
    }
}

/// What kind of JSON value this is, for messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) if crate::value::is_intrinsic(value) => "an intrinsic function",
        Value::Object(_) => "an object",
    }
}
