//! Task-wide properties: the family, the CPU and memory pair, the task role's policies, tags.

use serde_json::Value;

use super::primitives::kind_of;
use super::reader::{PropertyReader, Sourced, UsedNames, declared, list_entry};
use crate::properties::declarations::Shape;
use crate::properties::fargate;
use crate::properties::value_limits::check_family;
use crate::template::scope::Resolved;
use crate::template::value::object;

impl<'i> PropertyReader<'_, '_, 'i> {
    pub(crate) fn family(&mut self, logical_id: &str) -> Value {
        match self.sourced("TaskFamily") {
            Some(sourced) => self.text("TaskFamily").unwrap_or_else(|| {
                self.problems.push(sourced.place, "must not be empty");
                Value::Null
            }),
            None => {
                let family = crate::properties::declarations::default_family(logical_id);
                if let Err(why) = check_family(&family, self.scope.context) {
                    self.problems.push(self.place("TaskFamily"), format!("the default family {family:?} (the logical ID in lower case) {why}; set TaskFamily"));
                }
                Value::String(family)
            }
        }
    }

    /// `Cpu` and `Memory` as the task definition takes them (strings), checked as a pair.
    pub(crate) fn cpu_and_memory(&mut self) -> (Value, Value) {
        let (cpu, known_cpu) = self.task_size("TaskCpu", VCPUS);
        let (memory, known_memory) = self.task_size("TaskMemory", GIGABYTES);
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
                .map_or_else(|| self.place("TaskMemory"), |s| s.place);
            self.problems.push(place, why);
        }
        let as_string = |value: Value| match value {
            Value::Number(number) => Value::String(number.to_string()),
            other => other,
        };
        (as_string(cpu), as_string(memory))
    }

    /// `TaskCpu` or `TaskMemory` as [`Self::number`] reads it; a size written in ECS's other
    /// unit (`1 vCPU`, `2 GB`: `written`) is refused with the number to write in the macro's.
    fn task_size(&mut self, name: &str, written: TaskSizeUnits) -> (Value, Option<u64>) {
        if let Some(sourced) = self.sourced(name) {
            let resolved = self.scope.resolve(sourced.value);
            if let Some(number) = resolved
                .as_str()
                .and_then(|text| fargate::from_units(text, written.spellings))
            {
                let TaskSizeUnits { unit, taken, .. } = written;
                let check = match declared(name).shape {
                    Shape::WholeNumber(Some(check)) => check(number),
                    _ => Ok(()),
                };
                // A parameter's value is never echoed, nor the number made from it.
                let fix = match (&resolved, check) {
                    (Resolved::Parameter { .. }, _) => format!("give it in {taken}"),
                    (_, Ok(())) => format!("write {number}"),
                    (_, Err(why)) => format!("that is {number}, which {why}"),
                };
                self.problems.push(
                    sourced.place,
                    format!(
                        "{} is in {unit}, and the macro takes {taken} (1024 per {}): {fix}",
                        resolved.describe(),
                        written.spellings[0]
                    ),
                );
                return (Value::Null, None);
            }
        }
        self.number(name).unwrap_or_default()
    }

    /// A `TaskRolePolicies` entry, its `PolicyName` claimed in `names` (in lower case: IAM tells
    /// its names apart without regard to case, and a role keeps one inline policy of a name).
    pub(crate) fn policy<'e>(
        &mut self,
        entry: &Sourced<'e>,
        names: &mut UsedNames<'e>,
    ) -> Option<Value> {
        let fields = self.entry_fields(entry, list_entry("TaskRolePolicies"))?;
        let name = Self::entry_field(fields, entry, "PolicyName").and_then(|name| {
            let checked = self.required_string_checked(&name, check_policy_name)?;
            let resolved = self.scope.resolve(name.value);
            if let Some(text) = resolved.as_str()
                && let Some(first) = names.claim(text.to_ascii_lowercase(), name.place)
            {
                self.problems.push(
                    name.place,
                    format!(
                        "{} is also the PolicyName of {first}: a role keeps one inline policy of a name (IAM's names are told apart without regard to case), so one would replace the other; rename one of them",
                        resolved.describe()
                    ),
                );
            }
            Some(checked)
        });
        let document = Self::entry_field(fields, entry, "PolicyDocument")?;
        if !document.value.is_object() {
            self.problems.push(
                document.place,
                format!(
                    "must be a policy document object, not {}",
                    kind_of(document.value)
                ),
            );
            return None;
        }
        name.map(|_| entry.value.clone())
    }

    pub(crate) fn tag(&mut self, entry: &Sourced<'_>) -> Option<Value> {
        let fields = self.entry_fields(entry, list_entry("Tags"))?;
        let key = Self::entry_field(fields, entry, "Key").and_then(|key| {
            self.required_string_checked(&key, |key| {
                if key.chars().count() > MAX_TAG_KEY {
                    Err(format!(
                        "is longer than the {MAX_TAG_KEY} characters a tag key may have"
                    ))
                } else if key.starts_with("aws:") {
                    Err("starts with aws:, which AWS keeps for its own tags".to_owned())
                } else {
                    tag_characters(key)
                }
            })
        });
        let value = Self::entry_field(fields, entry, "Value").and_then(|value| {
            let resolved = self.scope.resolve(value.value);
            let why = resolved.as_str().and_then(|text| {
                if text.chars().count() > MAX_TAG_VALUE {
                    Some(format!(
                        "is longer than the {MAX_TAG_VALUE} characters a tag value may have"
                    ))
                } else {
                    tag_characters(text).err()
                }
            });
            if let Some(why) = why {
                self.problems
                    .push(value.place, format!("{} {why}", resolved.describe()));
            }
            self.scalar_as_string(value.value, value.place)
        });
        Some(object([("Key", key?), ("Value", value?)]))
    }
}

/// A unit ECS takes a task size in beside the macro's: how it is spelt, named, and the macro's.
#[derive(Clone, Copy)]
struct TaskSizeUnits {
    spellings: &'static [&'static str],
    unit: &'static str,
    taken: &'static str,
}

const VCPUS: TaskSizeUnits = TaskSizeUnits {
    spellings: &["vCPU"],
    unit: "vCPUs",
    taken: "CPU units",
};
const GIGABYTES: TaskSizeUnits = TaskSizeUnits {
    spellings: &["GB", "GiB"],
    unit: "GB",
    taken: "MiB",
};

/// IAM's `PolicyName` (PutRolePolicy): 1 to 128 of letters, digits and `_ + = , . @ -`.
fn check_policy_name(name: &str) -> Result<(), String> {
    const MAX_POLICY_NAME: usize = 128;
    if name.len() > MAX_POLICY_NAME {
        Err(format!(
            "is longer than the {MAX_POLICY_NAME} characters IAM allows a policy name"
        ))
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        Err("is not a name IAM takes for a policy: only letters, digits and _ + = , . @ - (no spaces); write the words together (ReadCacheBucket) or join them with - or _".to_owned())
    } else {
        Ok(())
    }
}

/// Refuses a `TaskRolePolicies` entry named as an inline policy the macro gives the task role
/// (`generated`, each with the property that asks for it): IAM would keep one of the two.
pub(crate) fn check_generated_policy_names(
    names: &UsedNames<'_>,
    generated: &[(&str, &str)],
    problems: &mut crate::template::problems::Problems,
) {
    for (name, place) in &names.used {
        if let Some((generated_name, asked_by)) = generated
            .iter()
            .find(|(generated_name, _)| generated_name.eq_ignore_ascii_case(name))
        {
            problems.push(
                *place,
                format!(
                    "names the policy {generated_name}, the inline policy the macro gives the task role for {asked_by}: a role keeps one inline policy of a name (told apart without regard to case), so one would replace the other; rename this one"
                ),
            );
        }
    }
}

/// The longest tag key and value ECS, IAM and CloudWatch Logs take, in characters.
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// The characters ECS, IAM and CloudWatch Logs take in a tag's key and value: letters,
/// digits, spaces and `_ . : / = + - @` (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`). Only ASCII is
/// checked, where the class is plain; any other character is left to AWS.
fn tag_characters(text: &str) -> Result<(), String> {
    if text
        .chars()
        .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c))
    {
        Ok(())
    } else {
        Err(
            "has a character tags may not hold: only letters, digits, spaces and _ . : / = + - @"
                .to_owned(),
        )
    }
}
