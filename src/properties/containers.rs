//! The containers beside the agent's: the ssh agent, services, their variables, commands and
//! health checks.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::primitives::kind_of;
use super::reader::{PropertyInput, PropertyReader, Sourced, UsedNames};
use super::text_lists::ComputedList;
use crate::properties::checked::{
    BackendUrl, EfsVolume, RESERVED_CONTAINER_NAMES, ServiceContainer, SshAgent,
};
use crate::properties::declarations::{ENVIRONMENT_ENTRY, EntryShape, SERVICE_ENTRY, declaration};
use crate::template::arn::ExecuteApiStage;
use crate::template::place::Place;
use crate::template::problems::unknown_name_message;
use crate::template::scope::Resolved;

/// ECS's quota of containers in one task definition (not adjustable).
pub const MAX_CONTAINERS: usize = 10;

impl<'i> PropertyReader<'_, '_, 'i> {
    pub(crate) fn ssh_agent(&mut self) -> Option<SshAgent> {
        let backend = self.sourced("SshAgentBackend");
        // The stage's invoke URL, as people have it, written or a parameter's value: the ARN
        // the task role is granted is built from it, in the stack's own account.
        if let Some(backend) = &backend {
            let resolved = self.scope.resolve(backend.value);
            if let Some(url) = resolved
                .as_str()
                .filter(|text| text.starts_with("https://"))
            {
                let context = self.scope.context;
                let read = match (
                    &resolved,
                    crate::template::arn::parse_execute_api_url(url, context),
                ) {
                    (Resolved::Literal(_), Ok(stage)) => Ok((
                        json!({"Fn::Sub": format!(
                            "arn:${{AWS::Partition}}:execute-api:{}:${{AWS::AccountId}}:{}/{}",
                            stage.region, stage.api_id, stage.stage
                        )}),
                        BackendUrl::Literal(invoke_url(&stage)),
                    )),
                    // Its value is never written out: CloudFormation takes the `Ref` apart.
                    (_, Ok(_)) => Ok(stage_of_invoke_url(backend.value)),
                    (Resolved::Literal(_), Err(why)) => Err(why),
                    // The literal's reasons name parts of the value; a parameter's are not echoed.
                    (_, Err(_)) => Err(format!(
                        "is not an API Gateway stage's invoke URL on the stack's partition (https://<api-id>.execute-api.<region>.{}/<stage>) nor its ARN (arn:{}:execute-api:<region>:<account>:<api-id>/<stage>)",
                        context.url_suffix(),
                        context.partition()
                    )),
                };
                return match read {
                    Ok((arn, url)) => {
                        let image = self.text_or_default("SshAgentImage");
                        let image_pull = self.image_property_pull("SshAgentImage", Some(&image));
                        Some(SshAgent {
                            backend: arn,
                            url,
                            image,
                            image_pull,
                        })
                    }
                    Err(why) => {
                        self.problems
                            .push(backend.place, format!("{} {why}", resolved.describe()));
                        self.text("SshAgentImage");
                        None
                    }
                };
            }
        }
        let Some((backend, value)) = backend.and_then(|b| Some((b, self.text("SshAgentBackend")?)))
        else {
            // An image for an ssh agent that is not there is still checked for its shape.
            self.text("SshAgentImage");
            return None;
        };
        let url = match self.scope.resolve(backend.value) {
            Resolved::Literal(Value::String(text)) => {
                crate::template::arn::parse_execute_api_stage(text, self.scope.context)
                    .map_or(BackendUrl::FromArn, |stage| {
                        BackendUrl::Literal(invoke_url(&stage))
                    })
            }
            _ => BackendUrl::FromArn,
        };
        let image = self.text_or_default("SshAgentImage");
        let image_pull = self.image_property_pull("SshAgentImage", Some(&image));
        Some(SshAgent {
            backend: value,
            url,
            image,
            image_pull,
        })
    }

    /// A variable name: a non-empty string (or an intrinsic), not used before.
    pub(crate) fn variable_name<'n>(
        &mut self,
        value: &'n Value,
        place: Place<'n>,
        names: &mut UsedNames<'n>,
    ) -> Option<Value> {
        let resolved = self.scope.resolve(value);
        match resolved.as_str() {
            Some("") => {
                self.problems.push(place, "must not be empty");
                return None;
            }
            Some(name) if !is_variable_name(name) => {
                self.problems.push(
                    place,
                    format!(
                        "{} is not a variable name (no =, spaces or control characters)",
                        resolved.describe()
                    ),
                );
                return None;
            }
            Some(name) => {
                // Borrowed where the name is written out; a parameter's value is copied.
                let claimed = match value {
                    Value::String(text) => Cow::Borrowed(text.as_str()),
                    _ => Cow::Owned(name.to_owned()),
                };
                if let Some(first) = names.claim(claimed, place) {
                    // A variable a property sets was claimed at the property's bare name.
                    let set_by_property = first.to_string();
                    let why = if declaration(&set_by_property).is_some() {
                        format!("is set from {set_by_property}; set that property instead")
                    } else {
                        format!(
                            "is also given at {first}: a container variable comes from Environment or Secrets once"
                        )
                    };
                    self.problems
                        .push(place, format!("{} {why}", resolved.describe()));
                    return None;
                }
            }
            None if matches!(resolved, Resolved::Literal(_)) => {
                self.problems
                    .push(place, format!("must be a string, not {}", kind_of(value)));
                return None;
            }
            None => {}
        }
        Some(value.clone())
    }

    pub(crate) fn environment<'e>(
        &mut self,
        input: Option<&PropertyInput<'e>>,
        names: &mut UsedNames<'e>,
    ) -> Vec<(Value, Value)> {
        self.list(input, |reader, entry| {
            let fields = reader.entry_fields(entry, ENVIRONMENT_ENTRY)?;
            let field = |key: &str| Self::entry_field(fields, entry, key);
            let name =
                field("Name").and_then(|name| reader.variable_name(name.value, name.place, names));
            let value =
                field("Value").and_then(|value| reader.scalar_as_string(value.value, value.place));
            Some((name?, value?))
        })
    }

    /// The services, beside the macro's own containers (`macro_containers`, named for the
    /// message): ECS takes at most [`MAX_CONTAINERS`] in a task definition.
    pub(crate) fn services(
        &mut self,
        volumes: &[EfsVolume],
        macro_containers: &[&str],
    ) -> Vec<ServiceContainer> {
        let mut names = UsedNames::default();
        let mut entries = 0;
        let services = self.list(self.input("Services"), |reader, entry| {
            entries += 1;
            let fields = reader.entry_fields(entry, SERVICE_ENTRY)?;
            let field = |key: &str| Self::entry_field(fields, entry, key);
            let list_field = |key: &str| field(key).map(PropertyInput::Single);
            let name = field("Name").and_then(|name| {
                reader.literal_name(&name, "container", &mut names, &RESERVED_CONTAINER_NAMES)
            });
            let image_field = field("Image");
            let image = image_field
                .as_ref()
                .and_then(|image| reader.required_string(image));
            let image_pull = match (&image, &image_field) {
                (Some(image), Some(field)) => reader.image_pull(image, field.place),
                _ => Default::default(),
            };
            let mut variables = UsedNames::default();
            let environment =
                reader.environment(list_field("Environment").as_ref(), &mut variables);
            let secrets = reader.secrets(list_field("Secrets").as_ref(), &mut variables);
            let command = field("Command").and_then(|sourced| reader.command(&sourced));
            let entry_point = field("EntryPoint").and_then(|sourced| reader.command(&sourced));
            let health_check =
                field("HealthCheck").and_then(|sourced| reader.health_check(&sourced));
            let repository_credentials = field("RepositoryCredentials")
                .and_then(|sourced| reader.registry_credentials(&sourced));
            let essential = field("Essential")
                .and_then(|sourced| reader.boolean(&sourced))
                .unwrap_or(false);
            let mounted = reader.text_list(list_field("Volumes").as_ref(), |reader, entry| {
                let name = match entry.value {
                    Value::String(name) => name,
                    other => {
                        reader.problems.push(
                            entry.place,
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
                    reader.problems.push(entry.place, message);
                    None
                }
            });
            let ulimits = reader.ulimits(list_field("Ulimits").as_ref());
            let environment_files =
                reader.environment_files(list_field("EnvironmentFiles").as_ref());
            let resources = reader.service_resources(field);
            let known = |taken: &Option<(Value, Option<u64>)>| taken.as_ref().and_then(|(_, n)| *n);
            Some(ServiceContainer {
                known_cpu: known(&resources.cpu),
                known_memory: known(&resources.memory_reservation).or(known(&resources.memory)),
                entry_point,
                ulimits,
                environment_files,
                cpu: resources.cpu.map(|(value, _)| value),
                memory: resources.memory.map(|(value, _)| value),
                memory_reservation: resources.memory_reservation.map(|(value, _)| value),
                stop_timeout: resources.stop_timeout,
                name: name?,
                image: image?,
                image_pull,
                environment,
                secrets,
                command,
                health_check,
                repository_credentials,
                essential,
                volumes: mounted,
            })
        });
        let containers = macro_containers.len() + entries;
        if containers > MAX_CONTAINERS
            && let Some(input) = self.input("Services")
        {
            let service_or_services = if entries == 1 { "service" } else { "services" };
            self.problems.push(
                input.place(),
                format!(
                    "makes {containers} containers ({} and {entries} {service_or_services}), over the {MAX_CONTAINERS} ECS allows in one task definition; at most {} services fit here",
                    macro_containers.join(", "),
                    MAX_CONTAINERS.saturating_sub(macro_containers.len())
                ),
            );
        }
        services
    }

    /// A container command: a list of strings (or functions yielding them), not empty. A list
    /// function whose items only a deploy gives is written whole: ECS takes any list of
    /// strings here, and nothing is granted from it.
    pub(crate) fn command(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
        if crate::template::value::is_intrinsic(sourced.value)
            && let ComputedList::Uncounted(_) = self.computed_list(sourced.value)
        {
            return Some(sourced.value.clone());
        }
        let input = PropertyInput::Single(*sourced);
        let before = self.problems.len();
        let parts = self.text_list(Some(&input), |reader, part| match part.value {
            Value::String(_) => Some(part.value.clone()),
            value if crate::template::value::is_intrinsic(value) => Some(value.clone()),
            other => {
                reader.problems.push(
                    part.place,
                    format!("must be a string, not {}", kind_of(other)),
                );
                None
            }
        });
        if self.problems.len() > before {
            return None;
        }
        if parts.is_empty() {
            self.problems.push(sourced.place, "must not be empty");
            return None;
        }
        Some(Value::Array(parts))
    }

    /// An ECS health check: `Command` (starting with `CMD` or `CMD-SHELL`) and its timings.
    pub(crate) fn health_check(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
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
        let before = self.problems.len();
        // A command that is not a list of strings hides the checks of its first words.
        let command = Self::entry_field(fields, sourced, "Command").and_then(|command| {
            let parts = self.command(&command)?;
            self.check_health_command(&parts, command.place);
            Some(parts)
        });
        let mut check = Map::new();
        if let Some(command) = command {
            check.insert("Command".into(), command);
        }
        for (key, low, high) in TIMINGS {
            if let Some(value) = fields.get(key) {
                let (value, _) = self.whole_number(
                    &Sourced {
                        value,
                        place: sourced.place.key(key),
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
        if self.problems.len() > before || !check.contains_key("Command") {
            return None;
        }
        Some(Value::Object(check))
    }

    /// ECS runs `CMD` and its arguments directly, and `CMD-SHELL` with one command string for
    /// the container's shell: a shell line given to `CMD`, or words split after `CMD-SHELL`,
    /// never reports healthy, and the agent waits for HEALTHY.
    fn check_health_command(&mut self, parts: &Value, command_place: Place<'_>) {
        let Some(parts) = parts.as_array() else {
            return;
        };
        let literal = |index: usize| parts.get(index).and_then(Value::as_str);
        match literal(0) {
            Some("CMD-SHELL") if parts.len() == 1 => self.problems.push(
                command_place,
                "CMD-SHELL needs the command string after it, as in [CMD-SHELL, \"pg_isready -U postgres\"]",
            ),
            Some("CMD-SHELL") if parts.len() > 2 => {
                let joined: Option<Vec<&str>> = (1..parts.len()).map(literal).collect();
                let hint = match joined {
                    Some(words) => format!(
                        "; write [CMD-SHELL, {}]",
                        crate::template::problems::show_literal(&Value::String(words.join(" ")))
                    ),
                    None => String::new(),
                };
                self.problems.push(
                    command_place,
                    format!(
                        "CMD-SHELL takes exactly one command string after it, which the container's shell runs, not {} words{hint}",
                        parts.len() - 1
                    ),
                );
            }
            Some("CMD") if parts.len() == 1 => self.problems.push(
                command_place,
                "CMD needs the executable to run after it, as in [CMD, pg_isready, -U, postgres]",
            ),
            Some("CMD")
                if parts.len() == 2
                    && literal(1).is_some_and(|line| line.trim().contains(' ')) =>
            {
                self.problems.push(
                    command_place.index(1),
                    format!(
                        "{} is run as one executable's name with CMD; did you mean CMD-SHELL, which runs it with the container's shell?",
                        crate::template::problems::show_literal(&parts[1])
                    ),
                );
            }
            Some("CMD" | "CMD-SHELL") => {}
            Some(_) => self.problems.push(
                command_place.index(0),
                "must be CMD or CMD-SHELL, as ECS requires of a health check's command",
            ),
            // A function: known only when the stack is deployed.
            None => {}
        }
    }
}

/// `https://<api-id>.execute-api.<region>.${AWS::URLSuffix}/<stage>`: the stage's invoke URL, as
/// the text of a `Fn::Sub`.
fn invoke_url(stage: &ExecuteApiStage<'_>) -> String {
    let ExecuteApiStage {
        api_id,
        region,
        stage,
    } = stage;
    format!("https://{api_id}.execute-api.{region}.${{AWS::URLSuffix}}/{stage}")
}

/// The stage ARN and invoke URL of an invoke URL known only as a `Ref` (checked at expansion),
/// taken apart by CloudFormation as an ARN's are: at `/` into `https:`, ``, the host and the
/// stage, the host at `.` into the API's ID, `execute-api` and the region.
fn stage_of_invoke_url(url: &Value) -> (Value, BackendUrl) {
    let select = |index: usize, delimiter: &str, text: &Value| json!({"Fn::Select": [index, {"Fn::Split": [delimiter, text]}]});
    let host = select(2, "/", url);
    let parts = json!({
        "ApiId": select(0, ".", &host),
        "ApiRegion": select(2, ".", &host),
        "Stage": select(3, "/", url)
    });
    let arn = json!({"Fn::Sub": [
        "arn:${AWS::Partition}:execute-api:${ApiRegion}:${AWS::AccountId}:${ApiId}/${Stage}",
        parts
    ]});
    let url = json!({"Fn::Sub": [
        "https://${ApiId}.execute-api.${ApiRegion}.${AWS::URLSuffix}/${Stage}",
        parts
    ]});
    (arn, BackendUrl::Given(url))
}

/// Text that can name a variable: no `=`, white space or control character. An ASCII name is
/// checked byte by byte (its only white space that is not a control character is the space).
fn is_variable_name(name: &str) -> bool {
    if name.is_ascii() {
        !name
            .bytes()
            .any(|b| b == b'=' || b == b' ' || b.is_ascii_control())
    } else {
        !name
            .chars()
            .any(|c| c == '=' || c.is_whitespace() || c.is_control())
    }
}

#[cfg(test)]
mod tests {
    use super::is_variable_name;

    #[test]
    fn an_ascii_name_is_checked_as_its_characters_would_be() {
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            let by_characters = !(c == '=' || c.is_whitespace() || c.is_control());
            assert_eq!(
                is_variable_name(&format!("A{c}B")),
                by_characters,
                "{byte:#x}"
            );
        }
        assert!(!is_variable_name("A\u{a0}B"), "a no-break space");
        assert!(is_variable_name("ÜBER_NAME"));
    }
}
