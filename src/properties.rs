//! Reading and checking the properties of one `Buildkite::ECS::TaskDefinition`.

use serde_json::{Map, Value, json};

use crate::arn;
use crate::fargate;
use crate::problems::{Problems, unknown_name_message};
use crate::secret_grant::{SecretGrant, grant_for};
use crate::value::{Resolved, TemplateScope, object};

/// Every property the resource takes.
pub const PROPERTY_NAMES: [&str; 19] = [
    "Image",
    "BuildkiteAgentImage",
    "SshAgentBackend",
    "SshAgentImage",
    "Secrets",
    "Environment",
    "TaskFamily",
    "TaskCpu",
    "TaskMemory",
    "TaskRoleArn",
    "TaskRolePolicies",
    "TaskRoleManagedPolicyArns",
    "BuildkiteAgentTokenParameterPath",
    "LogRetentionInDays",
    "LogKmsKeyId",
    "CpuArchitecture",
    "EphemeralStorageGiB",
    "PermissionsBoundary",
    "Tags",
];

pub const DEFAULT_SSH_AGENT_IMAGE: &str = "buildkite/iam-ssh-agent:0.3.0";
pub const DEFAULT_AGENT_TOKEN_PARAMETER: &str = "/buildkite/agent-token";
pub const AGENT_TOKEN_VARIABLE: &str = "BUILDKITE_AGENT_TOKEN";

/// The retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A value and the place it was written, which may be `Globals.TaskDefinition`.
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

/// An entry of the agent container's `Secrets`, with what the execution role needs to
/// read it.
#[derive(Debug, Clone)]
pub struct ContainerSecret {
    pub name: Value,
    pub value_from: Value,
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

/// The checked properties of one resource, each as it goes into the output.
#[derive(Debug, Clone)]
pub struct TaskDefinitionProperties {
    pub image: Value,
    pub agent_sidecar_image: Option<Value>,
    pub ssh_agent: Option<SshAgent>,
    pub agent_token: Option<ContainerSecret>,
    pub secrets: Vec<ContainerSecret>,
    /// `(Name, Value)` entries, values as strings.
    pub environment: Vec<(Value, Value)>,
    pub family: Value,
    pub cpu: Value,
    pub memory: Value,
    pub task_role_arn: Option<Value>,
    pub task_role_policies: Vec<Value>,
    pub task_role_managed_policy_arns: Vec<Value>,
    pub log_retention_days: Value,
    pub log_kms_key_id: Option<Value>,
    pub cpu_architecture: Value,
    pub ephemeral_storage_gib: Option<Value>,
    pub permissions_boundary: Option<Value>,
    pub tags: Vec<Value>,
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
    let mut reader = PropertyReader { scope, problems };
    for (name, input) in inputs {
        if !PROPERTY_NAMES.contains(&name.as_str()) {
            reader.problems.push(
                input.path(),
                unknown_name_message("property", name, &PROPERTY_NAMES),
            );
        }
    }
    let get = |name: &str| {
        inputs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, input)| input)
    };
    let single = |name: &str| match get(name) {
        Some(PropertyInput::Single(sourced)) => Some(sourced),
        _ => None,
    };

    let image = match single("Image") {
        None => {
            reader.problems.push(
                format!("{properties_path}.Image"),
                "is required: the image of the agent container",
            );
            None
        }
        Some(sourced) => {
            let problems_before = reader.problems.len();
            let image = reader.optional_string(sourced, |_| Ok(()));
            if image.is_none() && reader.problems.len() == problems_before {
                reader.problems.push(
                    &sourced.path,
                    "must not be empty: it is the image of the agent container",
                );
            }
            image
        }
    };
    let agent_sidecar_image =
        single("BuildkiteAgentImage").and_then(|s| reader.optional_string(s, |_| Ok(())));
    let ssh_agent = single("SshAgentBackend")
        .and_then(|sourced| reader.ssh_agent(sourced, single("SshAgentImage")));
    if ssh_agent.is_none() {
        // An image for an ssh agent that is not there is still checked for its shape.
        if let Some(sourced) = single("SshAgentImage") {
            reader.optional_string(sourced, |_| Ok(()));
        }
    }

    let token_path = match single("BuildkiteAgentTokenParameterPath") {
        Some(sourced) => reader.required_string(sourced),
        None => Some(json!(DEFAULT_AGENT_TOKEN_PARAMETER)),
    };
    let token_place = single("BuildkiteAgentTokenParameterPath").map_or_else(
        || format!("{properties_path}.BuildkiteAgentTokenParameterPath"),
        |s| s.path.clone(),
    );
    let agent_token = token_path.and_then(|value_from| {
        reader
            .grant(&value_from, &token_place)
            .map(|grant| ContainerSecret {
                name: json!(AGENT_TOKEN_VARIABLE),
                value_from,
                grant,
            })
    });

    let mut names = UsedNames::default();
    names.claim(AGENT_TOKEN_VARIABLE, "BuildkiteAgentTokenParameterPath");
    let secrets = reader.secrets(get("Secrets"), &mut names);
    let environment = reader.environment(get("Environment"), &mut names);

    let family = match single("TaskFamily") {
        Some(sourced) => reader
            .optional_string(sourced, check_family)
            .unwrap_or_else(|| {
                reader.problems.push(&sourced.path, "must not be empty");
                Value::Null
            }),
        None => {
            let family = logical_id.to_ascii_lowercase();
            if let Err(why) = check_family(&family) {
                reader.problems.push(format!("{properties_path}.TaskFamily"), format!("the default family {family:?} (the logical ID in lower case) {why}; set TaskFamily"));
            }
            Value::String(family)
        }
    };

    let (cpu, known_cpu) = reader.size(single("TaskCpu"), 256, |cpu| {
        if fargate::is_cpu_size(cpu) {
            Ok(())
        } else {
            Err(format!(
                "is not a Fargate CPU size ({})",
                fargate::cpu_sizes()
            ))
        }
    });
    let (memory, known_memory) = reader.size(single("TaskMemory"), 512, |memory| {
        if fargate::is_memory_size(memory) {
            Ok(())
        } else {
            Err("is not a Fargate memory size in MiB".to_owned())
        }
    });
    if let (Some(cpu), Some(memory)) = (known_cpu, known_memory)
        && let Some(why) = fargate::pair_problem(cpu, memory)
    {
        // A size from a parameter is named by the parameter, never by its value.
        let parameter = |name: &str| {
            single(name)
                .map(|s| scope.resolve(s.value))
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
        let place = single("TaskMemory").or(single("TaskCpu")).map_or_else(
            || format!("{properties_path}.TaskMemory"),
            |s| s.path.clone(),
        );
        reader.problems.push(place, why);
    }

    let task_role_arn = single("TaskRoleArn")
        .and_then(|s| reader.optional_string(s, |text| arn::check_role_arn(text, scope.context)));
    let task_role_policies = reader.list(get("TaskRolePolicies"), |reader, entry| {
        reader.policy(entry)
    });
    let task_role_managed_policy_arns =
        reader.list(get("TaskRoleManagedPolicyArns"), |reader, entry| {
            reader.required_string_checked(entry, |text| arn::check_policy_arn(text, scope.context))
        });
    if task_role_arn.is_some() {
        for name in ["TaskRolePolicies", "TaskRoleManagedPolicyArns"] {
            if let Some(input) = get(name) {
                reader.problems.push(input.path(), "has no effect with TaskRoleArn: no task role is generated, so attach these to your own role");
            }
        }
    }

    let (log_retention_days, _) = reader.number(single("LogRetentionInDays"), 30, |days| {
        if LOG_RETENTION_DAYS.contains(&days) {
            Ok(())
        } else {
            let accepted: Vec<String> = LOG_RETENTION_DAYS.iter().map(u64::to_string).collect();
            Err(format!(
                "is not a retention CloudWatch Logs accepts ({})",
                fargate::join_alternatives(&accepted)
            ))
        }
    });
    let log_kms_key_id = single("LogKmsKeyId").and_then(|s| {
        reader.optional_string(s, |text| arn::check_kms_key_arn(text, scope.context))
    });
    let cpu_architecture = match single("CpuArchitecture") {
        Some(sourced) => reader
            .optional_string(sourced, |text| match text {
                "X86_64" | "ARM64" => Ok(()),
                _ => Err("is not a CPU architecture Fargate offers (X86_64 or ARM64)".to_owned()),
            })
            .unwrap_or_else(|| json!("X86_64")),
        None => json!("X86_64"),
    };
    let ephemeral_storage_gib = single("EphemeralStorageGiB").map(|sourced| {
        reader
            .number(Some(sourced), 21, |size| {
                if (21..=200).contains(&size) {
                    Ok(())
                } else {
                    Err(
                        "is not an ephemeral storage size Fargate offers (21 to 200 GiB)"
                            .to_owned(),
                    )
                }
            })
            .0
    });
    let permissions_boundary = single("PermissionsBoundary")
        .and_then(|s| reader.optional_string(s, |text| arn::check_policy_arn(text, scope.context)));
    let tags = reader.list(get("Tags"), |reader, entry| reader.tag(entry));

    if problems.len() > before {
        return None;
    }
    Some(TaskDefinitionProperties {
        image: image?,
        agent_sidecar_image,
        ssh_agent,
        agent_token: Some(agent_token?),
        secrets,
        environment,
        family,
        cpu,
        memory,
        task_role_arn,
        task_role_policies,
        task_role_managed_policy_arns,
        log_retention_days,
        log_kms_key_id,
        cpu_architecture,
        ephemeral_storage_gib,
        permissions_boundary,
        tags,
    })
}

fn check_family(family: &str) -> Result<(), String> {
    let fits = (1..=255).contains(&family.len())
        && family
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if fits {
        Ok(())
    } else {
        Err("is not a task definition family (1 to 255 of A-Z, a-z, 0-9, _ and -)".to_owned())
    }
}

/// The container variable names used so far, and where.
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

struct PropertyReader<'s, 'p> {
    scope: &'s TemplateScope<'s>,
    problems: &'p mut Problems,
}

impl PropertyReader<'_, '_> {
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

    fn grant(&mut self, value_from: &Value, place: &str) -> Option<SecretGrant> {
        match grant_for(value_from, self.scope) {
            Ok(grant) => Some(grant),
            Err(why) => {
                self.problems.push(place, why);
                None
            }
        }
    }

    /// A whole number, written as a number or a string of digits, checked when known.
    /// Returns the value for the output and the number when known.
    fn number(
        &mut self,
        sourced: Option<&Sourced<'_>>,
        default: u64,
        check: impl Fn(u64) -> Result<(), String>,
    ) -> (Value, Option<u64>) {
        let Some(sourced) = sourced else {
            return (json!(default), Some(default));
        };
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

    /// A Fargate size: as [`Self::number`], but written as a string, which is the type
    /// the task definition's `Cpu` and `Memory` take.
    fn size(
        &mut self,
        sourced: Option<&Sourced<'_>>,
        default: u64,
        check: impl Fn(u64) -> Result<(), String>,
    ) -> (Value, Option<u64>) {
        let (value, known) = self.number(sourced, default, check);
        match value {
            Value::Number(number) => (Value::String(number.to_string()), known),
            other => (other, known),
        }
    }

    fn ssh_agent(
        &mut self,
        backend: &Sourced<'_>,
        image: Option<&Sourced<'_>>,
    ) -> Option<SshAgent> {
        let context = self.scope.context;
        let resolved = self.scope.resolve(backend.value);
        let value = self.optional_string(backend, |text| {
            arn::parse_execute_api_stage(text, context).map(drop)
        })?;
        let literal_stage = match resolved {
            Resolved::Literal(Value::String(text)) => arn::parse_execute_api_stage(text, context)
                .ok()
                .map(|stage| {
                    (
                        stage.api_id.to_owned(),
                        stage.region.to_owned(),
                        stage.stage.to_owned(),
                    )
                }),
            _ => None,
        };
        let image = image
            .and_then(|sourced| self.optional_string(sourced, |_| Ok(())))
            .unwrap_or_else(|| json!(DEFAULT_SSH_AGENT_IMAGE));
        Some(SshAgent {
            backend: value,
            literal_stage,
            image,
        })
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

    /// The fields of a list entry that must be an object of `known` keys; every field of
    /// `required` is there, else a problem.
    fn entry_fields<'v>(
        &mut self,
        entry: &Sourced<'v>,
        known: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(fields) = entry
            .value
            .as_object()
            .filter(|_| !crate::value::is_intrinsic(entry.value))
        else {
            self.problems.push(
                &entry.path,
                format!(
                    "must be an object with {}, not {}",
                    known.join(" and "),
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
                    unknown_name_message("key", key, known),
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
            let fields =
                reader.entry_fields(entry, &["Name", "ValueFrom"], &["Name", "ValueFrom"])?;
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
            let fields = reader.entry_fields(entry, &["Name", "Value"], &["Name", "Value"])?;
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
        let fields = self.entry_fields(
            entry,
            &["PolicyName", "PolicyDocument"],
            &["PolicyName", "PolicyDocument"],
        )?;
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
        let fields = self.entry_fields(entry, &["Key", "Value"], &["Key", "Value"])?;
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
