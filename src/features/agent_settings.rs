//! The agent's own settings as properties (`AgentQueue`, `AgentTags`, `AgentDisconnectAfterJob`,
//! ...): each written to the `agent` container as the variable the agent reads, checked where it
//! is written. A user's own `Environment` or `Secrets` entry of a variable a given property
//! writes is refused by place; without the property, the entry stands as it always did. The
//! agent needs no AWS for these, so no grant.

use serde_json::{Value, json};

use crate::properties::reader::{PropertyReader, Sourced, UsedNames};
use crate::template::context::ExpansionContext;
use crate::template::evaluate::describe_computed;
use crate::template::scope::Resolved;

/// A variable of the `agent` container written from the properties, after the user's.
#[derive(Debug, Clone)]
pub struct AgentVariable {
    pub name: &'static str,
    pub value: Value,
}

/// A variable written from a given property, and the variables a user's entry of which
/// conflicts with it (the agent reads both and refuses, or one silently wins).
pub(crate) struct WrittenVariable {
    pub(crate) variable: AgentVariable,
    pub(crate) property: &'static str,
    pub(crate) conflicts_with: Vec<&'static str>,
}

const TAGS_VARIABLE: &str = "BUILDKITE_AGENT_TAGS";
/// The agent's `--queue`: with a queue tag too, the agent stops ("Queue must be present in only
/// one of the --tags or the --queue flags").
const QUEUE_VARIABLE: &str = "BUILDKITE_AGENT_QUEUE";

/// The flags: property, variable.
const FLAGS: [(&str, &str); 5] = [
    (
        "AgentTagsFromEcsMetadata",
        "BUILDKITE_AGENT_TAGS_FROM_ECS_META_DATA",
    ),
    (
        "AgentDisconnectAfterJob",
        "BUILDKITE_AGENT_DISCONNECT_AFTER_JOB",
    ),
    ("AgentNoCommandEval", "BUILDKITE_NO_COMMAND_EVAL"),
    ("AgentNoLocalHooks", "BUILDKITE_NO_LOCAL_HOOKS"),
    ("AgentNoPlugins", "BUILDKITE_NO_PLUGINS"),
];

/// The numbers: property, variable.
const NUMBERS: [(&str, &str); 2] = [
    (
        "AgentDisconnectAfterIdleTimeout",
        "BUILDKITE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT",
    ),
    ("AgentPriority", "BUILDKITE_AGENT_PRIORITY"),
];

/// The comma-separated lists of regular expressions: property, variable.
const PATTERN_LISTS: [(&str, &str); 2] = [
    ("AgentAllowedRepositories", "BUILDKITE_ALLOWED_REPOSITORIES"),
    ("AgentAllowedPlugins", "BUILDKITE_ALLOWED_PLUGINS"),
];

/// A queue: a tag's value, so no comma (the agent splits its tags on commas) and no `=`.
pub(crate) fn check_agent_queue(text: &str, _: &ExpansionContext) -> Result<(), String> {
    if text.contains([',', '=']) {
        Err("is not a queue name: the agent reads it as the tag queue=<queue>, so it takes no comma and no =".to_owned())
    } else {
        Ok(())
    }
}

/// A tag as the agent reads one from its comma-separated list: `key=value`.
fn check_tag(text: &str) -> Result<(), String> {
    match text.split_once('=') {
        _ if text.contains(',') => Err("is more than one tag: the agent splits its tags on commas, so give each tag as an entry of its own".to_owned()),
        Some((key, _)) if !key.trim().is_empty() => Ok(()),
        _ => Err("is not a tag: write key=value, as a job's agent query matches it".to_owned()),
    }
}

fn check_pattern(text: &str) -> Result<(), String> {
    if text.contains(',') {
        Err("has a comma, and the agent splits this list on commas: give each expression as an entry of its own".to_owned())
    } else {
        Ok(())
    }
}

/// Entries as one comma-separated value: a string when all are written out, else a `Fn::Join`.
fn comma_list(entries: Vec<Value>) -> Value {
    match entries
        .iter()
        .map(Value::as_str)
        .collect::<Option<Vec<&str>>>()
    {
        Some(texts) => Value::String(texts.join(",")),
        None => json!({"Fn::Join": [",", entries]}),
    }
}

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The agent's settings the properties give, each with the property it comes from.
    pub(crate) fn agent_settings(&mut self) -> Vec<WrittenVariable> {
        let mut written = Vec::new();
        let mut write = |variable, value, property, conflicts_with| {
            written.push(WrittenVariable {
                variable: AgentVariable {
                    name: variable,
                    value,
                },
                property,
                conflicts_with,
            });
        };

        let queue = self.text("AgentQueue");
        // Each key, and where it is first given.
        let mut tag_keys: Vec<(String, String)> = Vec::new();
        let tags = self.text_list(self.input("AgentTags"), |reader, entry| {
            let tag = reader.required_string_checked(entry, check_tag)?;
            // A parameter's value is never shown: a key from one is named by where it comes from.
            let (sample, shown) = match reader.scope.resolve(entry.value) {
                Resolved::Literal(Value::String(text)) => (Some(text.clone()), String::new()),
                resolved @ Resolved::Parameter { .. } => {
                    (resolved.as_str().map(str::to_owned), resolved.describe())
                }
                _ => (
                    reader.scope.evaluate(entry.value).sample(),
                    describe_computed(entry.value),
                ),
            };
            let key = sample
                .as_deref()
                .and_then(|text| text.split_once('='))
                .map(|(key, _)| key.trim().to_owned());
            if let Some(key) = key {
                let shown = if shown.is_empty() {
                    format!("tags key {key:?}")
                } else {
                    format!("{shown} tags a key")
                };
                reader.check_tag_key(&key, &shown, entry, queue.is_some(), &mut tag_keys);
            }
            Some(tag)
        });
        let has_queue_tag = queue.is_some() || tag_keys.iter().any(|(key, _)| key == "queue");
        if queue.is_some() || !tags.is_empty() {
            let queue_tag = queue.map(|queue| match queue {
                Value::String(queue) => Value::String(format!("queue={queue}")),
                other => json!({"Fn::Join": ["", ["queue=", other]]}),
            });
            let property = if queue_tag.is_some() {
                "AgentQueue"
            } else {
                "AgentTags"
            };
            let conflicts = if has_queue_tag {
                vec![TAGS_VARIABLE, QUEUE_VARIABLE]
            } else {
                vec![TAGS_VARIABLE]
            };
            let value = comma_list(queue_tag.into_iter().chain(tags).collect());
            write(TAGS_VARIABLE, value, property, conflicts);
        }

        let mut flags = [None; FLAGS.len()];
        for (index, (property, variable)) in FLAGS.into_iter().enumerate() {
            let Some(sourced) = self.sourced(property) else {
                continue;
            };
            if let Some((flag, value)) = self.flag_as_variable(&sourced) {
                flags[index] = Some(flag);
                write(variable, value, property, vec![variable]);
            }
        }
        for (property, variable) in NUMBERS {
            if let Some((value, _)) = self.given_number(property) {
                let value = match value {
                    Value::Number(number) => Value::String(number.to_string()),
                    other => other,
                };
                write(variable, value, property, vec![variable]);
            }
        }
        if let Some(name) = self.text("AgentName") {
            write(
                "BUILDKITE_AGENT_NAME",
                name,
                "AgentName",
                vec!["BUILDKITE_AGENT_NAME"],
            );
        }
        for (property, variable) in PATTERN_LISTS {
            let patterns = self.text_list(self.input(property), |reader, entry| {
                reader.required_string_checked(entry, check_pattern)
            });
            if !patterns.is_empty() {
                write(variable, comma_list(patterns), property, vec![variable]);
            }
        }

        // The agent turns plugins off with no-command-eval or no-local-hooks, unless no-plugins
        // is written false (clicommand/agent_start.go).
        let [_, _, no_command_eval, no_local_hooks, no_plugins] = flags;
        let plugins_off = no_plugins == Some(true)
            || (no_plugins.is_none()
                && (no_command_eval == Some(true) || no_local_hooks == Some(true)));
        if plugins_off && let Some(allowed) = self.input("AgentAllowedPlugins") {
            self.problems.push(
                allowed.place(),
                "has no effect: the agent runs no plugins with AgentNoPlugins, AgentNoCommandEval or AgentNoLocalHooks true (write AgentNoPlugins: false to keep plugins with the other two)",
            );
        }
        written
    }

    /// A whole-number property without a default, as [`Self::number`] reads it, when given and
    /// sound; an absent one is not looked up among the declarations.
    pub(crate) fn given_number(&mut self, name: &str) -> Option<(Value, Option<u64>)> {
        self.sourced(name)?;
        self.number(name).filter(|(value, _)| !value.is_null())
    }

    /// A tag's key: once among the tags, and not `queue` beside `AgentQueue`.
    fn check_tag_key(
        &mut self,
        key: &str,
        shown: &str,
        entry: &Sourced<'_>,
        queue_property: bool,
        keys: &mut Vec<(String, String)>,
    ) {
        if key == "queue" && queue_property {
            self.problems.push(
                entry.place,
                "gives the queue that AgentQueue gives too, and the agent refuses a queue given twice: keep one",
            );
        } else if let Some((_, first)) = keys.iter().find(|(used, _)| used == key) {
            self.problems.push(
                entry.place,
                format!("{shown} again, as {first} does: give each key once"),
            );
        } else {
            keys.push((key.to_owned(), entry.place.to_string()));
        }
    }

    /// Refuses the user's `Environment` and `Secrets` entries (`names`, as read) of a variable
    /// a given property writes, naming that property.
    pub(crate) fn check_agent_variables_not_given(
        &mut self,
        written: &[WrittenVariable],
        names: &UsedNames<'_>,
    ) {
        for written in written {
            for (name, place) in &names.used {
                if written.conflicts_with.contains(&name.as_ref()) {
                    let property_place = self
                        .sourced(written.property)
                        .map_or_else(|| self.place(written.property), |s| s.place);
                    let together = match name.as_ref() {
                        same if same == written.variable.name => String::new(),
                        QUEUE_VARIABLE => " with its queue tag (the agent stops when the queue is given both ways)".to_owned(),
                        _ => format!(" and {name} with it"),
                    };
                    self.problems.push(
                        *place,
                        format!(
                            "{name} conflicts with {} at {property_place}, which the macro writes as {}{together}: give the setting there only, and remove this entry",
                            written.property, written.variable.name
                        ),
                    );
                }
            }
        }
    }
}
