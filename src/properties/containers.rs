//! The containers beside the agent's: the ssh agent, services, their variables, commands and
//! health checks.

use serde_json::{Map, Value};

use super::{PropertyInput, PropertyReader, Sourced, UsedNames, kind_of};
use crate::model::{EfsVolume, RESERVED_CONTAINER_NAMES, ServiceContainer, SshAgent};
use crate::problems::unknown_name_message;
use crate::property_table::{AGENT_TOKEN_VARIABLE, ENVIRONMENT_ENTRY, EntryShape, SERVICE_ENTRY};
use crate::value::Resolved;

impl<'i> PropertyReader<'_, '_, 'i> {
    pub(super) fn ssh_agent(&mut self) -> Option<SshAgent> {
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
        let image = self.text_or_default("SshAgentImage");
        let image_pull = self.image_property_pull("SshAgentImage", Some(&image));
        Some(SshAgent {
            backend: value,
            literal_stage,
            image,
            image_pull,
        })
    }

    /// A variable name: a non-empty string (or an intrinsic), not used before.
    pub(super) fn variable_name(
        &mut self,
        value: &Value,
        path: &str,
        names: &mut UsedNames,
    ) -> Option<Value> {
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

    pub(super) fn environment(
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

    pub(super) fn services(&mut self, volumes: &[EfsVolume]) -> Vec<ServiceContainer> {
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
            let image_pull = image
                .as_ref()
                .map(|image| reader.image_pull(image, &image_field.path))
                .unwrap_or_default();
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
        })
    }

    /// A container command: a list of strings (or functions yielding them), not empty.
    pub(super) fn command(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
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
    pub(super) fn health_check(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
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
