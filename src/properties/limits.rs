//! Per-container resources and limits: `Ulimits` of `agent` and of services, and a service's
//! `Cpu`, `Memory`, `MemoryReservation` and `StopTimeout`, checked against the task's size.

use serde_json::Value;

use super::reader::{PropertyInput, PropertyReader, Sourced, UsedNames};
use crate::properties::declarations::{PropertyDefault, ULIMIT_ENTRY, declaration};
use crate::template::value::object;

/// The ulimit names ECS takes.
const ULIMIT_NAMES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// The most open files Fargate lets a container have.
const FARGATE_NOFILE_MAX: u64 = 1_048_576;

/// A service's share of the task, as written and, where known, as numbers.
#[derive(Debug, Clone, Default)]
pub(super) struct ServiceResources {
    pub cpu: Option<(Value, Option<u64>)>,
    pub memory: Option<(Value, Option<u64>)>,
    pub memory_reservation: Option<(Value, Option<u64>)>,
    pub stop_timeout: Option<Value>,
}

impl<'i> PropertyReader<'_, '_, 'i> {
    /// A `Ulimits` list: each `{Name, SoftLimit, HardLimit}` once, soft no more than hard.
    pub(crate) fn ulimits(&mut self, input: Option<&PropertyInput<'_>>) -> Vec<Value> {
        let mut names = UsedNames::default();
        self.list(input, |reader, entry| {
            let fields = reader.entry_fields(entry, ULIMIT_ENTRY)?;
            let name_place = entry.place.key("Name");
            // A missing key was reported by entry_fields; the others are still checked.
            let name = fields.get("Name").and_then(|name| match name.as_str() {
                Some(name) if ULIMIT_NAMES.contains(&name) => Some(name),
                other => {
                    reader.problems.push(
                        name_place,
                        crate::template::problems::unknown_name_message(
                            "ulimit",
                            other.unwrap_or_default(),
                            &ULIMIT_NAMES,
                        ),
                    );
                    None
                }
            });
            let name = name.filter(|name| match names.claim(*name, name_place) {
                Some(first) => {
                    reader.problems.push(
                        name_place,
                        format!("{name} is also limited at {first}; give each ulimit once"),
                    );
                    false
                }
                None => true,
            });
            let limit = |reader: &mut Self, key: &str| {
                let value = fields.get(key)?;
                Some(reader.whole_number(
                    &Sourced {
                        value,
                        place: entry.place.key(key),
                    },
                    |n| {
                        if name == Some("nofile") && n > FARGATE_NOFILE_MAX {
                            Err(format!(
                                "is more open files than Fargate allows ({FARGATE_NOFILE_MAX})"
                            ))
                        } else {
                            Ok(())
                        }
                    },
                ))
            };
            let soft = limit(reader, "SoftLimit");
            let hard = limit(reader, "HardLimit");
            let ((soft, known_soft), (hard, known_hard)) = (soft?, hard?);
            if let (Some(soft), Some(hard)) = (known_soft, known_hard)
                && soft > hard
            {
                reader.problems.push(
                    entry.place.key("SoftLimit"),
                    "is above HardLimit: a soft limit is at most the hard one",
                );
                return None;
            }
            let name = name?;
            if soft.is_null() || hard.is_null() {
                return None;
            }
            Some(object([
                ("Name", Value::String(name.to_owned())),
                ("SoftLimit", soft),
                ("HardLimit", hard),
            ]))
        })
    }

    /// The task's CPU units and memory when known, without reporting (the properties
    /// themselves are checked where they are read).
    pub(crate) fn known_task_size(&self) -> (Option<u64>, Option<u64>) {
        let known = |name: &str| {
            let default = match declaration(name)?.default {
                PropertyDefault::Number(number) => Some(number),
                _ => None,
            };
            match self.sourced(name) {
                None => default,
                Some(sourced) => match self.scope.resolve(sourced.value).value()? {
                    Value::Number(number) => number.as_u64(),
                    Value::String(text) => text.parse().ok(),
                    _ => None,
                },
            }
        };
        (known("TaskCpu"), known("TaskMemory"))
    }

    /// The services' CPU units and reserved memory (`MemoryReservation`, else `Memory`), added
    /// up, fit in the task's: ECS refuses a task definition whose containers take more.
    pub(crate) fn check_services_fit(
        &mut self,
        services: &[crate::properties::checked::ServiceContainer],
    ) {
        let (task_cpu, task_memory) = self.known_task_size();
        let place = self
            .input("Services")
            .map_or_else(|| self.place("Services"), PropertyInput::place);
        let cpu: u64 = services.iter().filter_map(|s| s.known_cpu).sum();
        if task_cpu.is_some_and(|task| cpu > task) {
            self.problems.push(
                place,
                "the services' Cpu add up to more than the whole task has (TaskCpu)",
            );
        }
        let memory: u64 = services.iter().filter_map(|s| s.known_memory).sum();
        if task_memory.is_some_and(|task| memory > task) {
            self.problems.push(
                place,
                "the services' MemoryReservation (else Memory) add up to more than the whole task has (TaskMemory)",
            );
        }
    }

    /// A service's `Cpu`, `Memory`, `MemoryReservation` and `StopTimeout`, each within the task.
    pub(super) fn service_resources<'v>(
        &mut self,
        field: impl Fn(&str) -> Option<Sourced<'v>>,
    ) -> ServiceResources {
        let (task_cpu, task_memory) = self.known_task_size();
        // Messages name the task's size by its property, never by a parameter's value.
        let within = |limit: Option<u64>, property: &'static str| {
            move |n: u64| match limit {
                Some(limit) if n > limit => {
                    Err(format!("is more than the whole task has ({property})"))
                }
                _ => Ok(()),
            }
        };
        let cpu =
            field("Cpu").map(|sourced| self.whole_number(&sourced, within(task_cpu, "TaskCpu")));
        let memory = field("Memory").map(|sourced| {
            self.whole_number(&sourced, |n| {
                if n < 6 {
                    Err("is less than the 6 MiB ECS gives a container at least".to_owned())
                } else {
                    within(task_memory, "TaskMemory")(n)
                }
            })
        });
        let memory_reservation = field("MemoryReservation").map(|sourced| {
            let reservation = self.whole_number(&sourced, within(task_memory, "TaskMemory"));
            if let (Some(reserved), Some((_, Some(limit)))) = (reservation.1, &memory)
                && reserved > *limit
            {
                self.problems.push(
                    sourced.place,
                    "is above the service's Memory: a reservation is at most the limit",
                );
            }
            reservation
        });
        let stop_timeout = field("StopTimeout").map(|sourced| {
            self.whole_number(&sourced, |n| {
                if (2..=120).contains(&n) {
                    Ok(())
                } else {
                    Err("is not a stop timeout Fargate allows (2 to 120 seconds)".to_owned())
                }
            })
            .0
        });
        ServiceResources {
            cpu,
            memory,
            memory_reservation,
            stop_timeout,
        }
    }
}
