//! Grace periods that fit the task (`AgentCancelGracePeriod`, `AgentSignalGracePeriodSeconds`).
//! ECS stops the `agent` container with SIGTERM, then SIGKILL after its `StopTimeout` (30 s
//! unset); the agent gives a cancelled job its signal grace period before SIGKILL, and itself the
//! cancel grace period in all, 10 s and 9 s by default whatever `StopTimeout` says. So the cancel
//! grace period follows `StopTimeout`, and the signal grace period ends a few seconds short of it
//! to leave the agent time to upload the log and finish the job, as agent-stack-k8s does for its
//! pods (its PR 748). Agent 3 reads `BUILDKITE_CANCEL_GRACE_PERIOD` and
//! `BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS` and refuses to start unless the signal grace period is
//! the shorter; agent 4 reads `BUILDKITE_CANCEL_SIGNAL_TIMEOUT` and `BUILDKITE_CANCEL_CLEANUP_TIMEOUT`
//! (the rest) instead, so both are written. From a parameter they are computed at deploy, never
//! written as the value the macro saw. No AWS is involved, so no grant.

use serde_json::{Value, json};

use crate::features::agent_settings::{AgentVariable, WrittenVariable};
use crate::properties::reader::{PropertyReader, UsedNames};
use crate::properties::value_limits::{STOP_TIMEOUT_SECONDS, ValueLimits};
use crate::template::scope::Resolved;

const CANCEL_GRACE: &str = "BUILDKITE_CANCEL_GRACE_PERIOD";
const SIGNAL_GRACE: &str = "BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS";
const AGENT_4_SIGNAL_TIMEOUT: &str = "BUILDKITE_CANCEL_SIGNAL_TIMEOUT";
const AGENT_4_CLEANUP_TIMEOUT: &str = "BUILDKITE_CANCEL_CLEANUP_TIMEOUT";
const GRACE_VARIABLES: [&str; 4] = [
    CANCEL_GRACE,
    SIGNAL_GRACE,
    AGENT_4_SIGNAL_TIMEOUT,
    AGENT_4_CLEANUP_TIMEOUT,
];
/// ECS's stop timeout of a container that sets none.
pub const ECS_DEFAULT_STOP_TIMEOUT: u64 = 30;
/// What the agent keeps after the job's SIGKILL to upload its log and finish it: agent 4's
/// default `cancel-cleanup-timeout`.
pub const CLEANUP_SECONDS: u64 = 5;

/// The signal grace period within a cancel grace period: [`CLEANUP_SECONDS`] short of it, or
/// half of it (at least a second) when that is less.
pub fn signal_grace_within(cancel: u64) -> u64 {
    cancel.saturating_sub(CLEANUP_SECONDS.min((cancel / 2).max(1)))
}

/// A number of seconds as a message names it: a parameter's value is never shown.
fn seconds_named(resolved: Option<Resolved<'_>>, seconds: u64) -> String {
    match resolved {
        Some(resolved @ Resolved::Parameter { .. }) => resolved.describe(),
        _ => format!("{seconds} s"),
    }
}

/// Seconds as the agent reads them: a number as text, a parameter's `Ref` as it is.
fn as_text(value: &Value) -> Value {
    match value {
        Value::Number(number) => json!(number.to_string()),
        other => other.clone(),
    }
}

/// `of(seconds)` for seconds that are a number, or a parameter's `Ref` (`known` now): then
/// looked up at deploy in a table over every StopTimeout Fargate allows (`Fn::Select` takes
/// a `Ref` as its index), so that a value changed at deploy cannot leave it stale.
fn per_second(seconds: &Value, known: u64, of: impl Fn(u64) -> String) -> Value {
    let ValueLimits::Range { max, .. } = STOP_TIMEOUT_SECONDS else {
        unreachable!("the stop timeouts are a range")
    };
    per_second_below(seconds, known, max + 1, of)
}

/// [`per_second`] with a table of `end` entries: a value past it fails the deploy, as
/// `Fn::Select` out of its list does.
fn per_second_below(seconds: &Value, known: u64, end: u64, of: impl Fn(u64) -> String) -> Value {
    match seconds {
        Value::Number(_) => json!(of(known)),
        by_parameter => {
            let table: Vec<String> = (0..end).map(of).collect();
            json!({"Fn::Select": [by_parameter, table]})
        }
    }
}

impl PropertyReader<'_, '_, '_> {
    /// The grace periods, from the properties or derived from the `agent` container's stop
    /// timeout (`stop_timeout`, as read; `None` when unset). Without the properties, a user's own
    /// `Environment` entry of a grace variable stands and nothing is derived.
    pub(crate) fn grace_periods(
        &mut self,
        stop_timeout: Option<&(Value, Option<u64>)>,
        user_names: &UsedNames<'_>,
    ) -> Vec<WrittenVariable> {
        let cancel_given = self.given_number("AgentCancelGracePeriod");
        let signal_given = self.given_number("AgentSignalGracePeriodSeconds");
        let user_sets_one = user_names
            .used
            .iter()
            .any(|(name, _)| GRACE_VARIABLES.contains(&name.as_ref()));
        if cancel_given.is_none() && signal_given.is_none() && user_sets_one {
            return Vec::new();
        }
        let stop = match stop_timeout {
            None => Some(ECS_DEFAULT_STOP_TIMEOUT),
            Some((_, known)) => *known,
        };
        let stop_named = |reader: &Self, stop: u64| match reader.sourced("StopTimeout") {
            None => format!("ECS's default StopTimeout, {stop} s"),
            Some(sourced) => format!(
                "StopTimeout, {}",
                seconds_named(Some(reader.scope.resolve(sourced.value)), stop)
            ),
        };
        let resolved_of = |reader: &Self, name: &str| {
            reader
                .sourced(name)
                .map(|sourced| reader.scope.resolve(sourced.value))
        };

        let cancel = cancel_given.as_ref().map_or(stop, |(_, known)| *known);
        if let (Some((_, Some(given))), Some(stop)) = (&cancel_given, stop) {
            let place = self.place("AgentCancelGracePeriod");
            let place = self
                .sourced("AgentCancelGracePeriod")
                .map_or(place, |s| s.place);
            let named = seconds_named(resolved_of(self, "AgentCancelGracePeriod"), *given);
            if *given == 0 {
                self.problems.push(place, "is 0 s: the agent needs at least a second after the job's signal, so give 1 or more");
            } else if *given > stop {
                let stop_named = stop_named(self, stop);
                self.problems.push(
                    place,
                    format!("{named} is longer than {stop_named}: ECS kills the agent with SIGKILL when StopTimeout runs out, cutting the cancelled job's cleanup and log upload short; give at most the StopTimeout, or raise StopTimeout (Fargate allows up to 120)"),
                );
            }
        }
        let signal = signal_given
            .as_ref()
            .map_or_else(|| cancel.map(signal_grace_within), |(_, known)| *known);
        if let (Some((_, Some(given))), Some(cancel)) = (&signal_given, cancel)
            && *given >= cancel
        {
            let place = self.place("AgentSignalGracePeriodSeconds");
            let place = self
                .sourced("AgentSignalGracePeriodSeconds")
                .map_or(place, |s| s.place);
            let named = seconds_named(resolved_of(self, "AgentSignalGracePeriodSeconds"), *given);
            let cancel_named = match &cancel_given {
                Some(_) => format!(
                    "AgentCancelGracePeriod, {}",
                    seconds_named(resolved_of(self, "AgentCancelGracePeriod"), cancel)
                ),
                None => format!(
                    "the cancel grace period, which follows {}",
                    stop_named(self, cancel)
                ),
            };
            self.problems.push(
                place,
                format!("{named} is not shorter than {cancel_named}: the agent refuses to start unless the signal grace period is the shorter, and the difference is its time to upload the job's log; give less, or a longer AgentCancelGracePeriod (at most StopTimeout)"),
            );
        }

        // What the variables are computed from: a number, or a parameter's `Ref` (kept as the
        // `Ref`, so that a value changed at deploy changes them too) with its value now.
        let cancel_source = match &cancel_given {
            Some((value, Some(known))) => Some((value.clone(), *known)),
            Some((_, None)) => None,
            None => match stop_timeout {
                None => Some((json!(ECS_DEFAULT_STOP_TIMEOUT), ECS_DEFAULT_STOP_TIMEOUT)),
                Some((value, known)) => known.map(|known| (value.clone(), known)),
            },
        };
        if let (Some((signal_value, Some(_))), Some((cancel_value, _))) =
            (&signal_given, &cancel_source)
            && !cancel_value.is_number()
        {
            let place = self
                .sourced("AgentSignalGracePeriodSeconds")
                .map_or_else(|| self.place("AgentSignalGracePeriodSeconds"), |s| s.place);
            let follows = if cancel_given.is_some() {
                "AgentCancelGracePeriod"
            } else {
                "StopTimeout"
            };
            let cancel_named = seconds_named(Some(self.scope.resolve(cancel_value)), 0);
            let signal_named = if signal_value.is_number() {
                "is given"
            } else {
                "is given by a parameter"
            };
            self.problems.push(
                place,
                format!("{signal_named} while the cancel grace period is {cancel_named} (through {follows}): agent 4's cleanup timeout is their difference, which CloudFormation cannot compute from a parameter at deploy, and a number written now would go stale when the parameter changes; leave AgentSignalGracePeriodSeconds out (it is then derived from the parameter at deploy), or give AgentCancelGracePeriod as a number"),
            );
            return Vec::new();
        }

        // The first variable written from a given property carries the conflicts of them all.
        let given = if cancel_given.is_some() {
            Some("AgentCancelGracePeriod")
        } else if signal_given.is_some() {
            Some("AgentSignalGracePeriodSeconds")
        } else {
            None
        };
        let mut written = Vec::new();
        let mut write = |name, value| {
            let conflicts_with = match given {
                Some(_) if written.is_empty() => GRACE_VARIABLES.to_vec(),
                _ => Vec::new(),
            };
            written.push(WrittenVariable {
                variable: AgentVariable { name, value },
                property: given.unwrap_or("StopTimeout"),
                conflicts_with,
            });
        };
        match (&cancel_given, &cancel_source) {
            (Some((value, _)), _) => write(CANCEL_GRACE, as_text(value)),
            (None, Some((value, _))) => write(CANCEL_GRACE, as_text(value)),
            (None, None) => {}
        }
        let signal_derived = signal_given.is_none();
        match (&signal_given, &cancel_source) {
            (Some((value, _)), _) => write(SIGNAL_GRACE, as_text(value)),
            (None, Some((cancel, known))) => write(
                SIGNAL_GRACE,
                per_second(cancel, *known, |c| signal_grace_within(c).to_string()),
            ),
            (None, None) => {}
        }
        if let (Some(cancel_known), Some(signal_known), Some((cancel_value, _))) =
            (cancel, signal, &cancel_source)
            && signal_known < cancel_known
        {
            if signal_derived {
                write(
                    AGENT_4_SIGNAL_TIMEOUT,
                    per_second(cancel_value, cancel_known, |c| {
                        format!("{}s", signal_grace_within(c))
                    }),
                );
                write(
                    AGENT_4_CLEANUP_TIMEOUT,
                    per_second(cancel_value, cancel_known, |c| {
                        format!("{}s", c - signal_grace_within(c))
                    }),
                );
            } else if let Some((signal_value, _)) = &signal_given {
                // The cancel grace period is a number here (a parameter's was refused above).
                let in_seconds = match signal_value {
                    Value::Number(_) => json!(format!("{signal_known}s")),
                    other => json!({"Fn::Join": ["", [other, "s"]]}),
                };
                write(AGENT_4_SIGNAL_TIMEOUT, in_seconds);
                write(
                    AGENT_4_CLEANUP_TIMEOUT,
                    per_second_below(signal_value, signal_known, cancel_known, |s| {
                        format!("{}s", cancel_known - s)
                    }),
                );
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_from_a_parameter_are_looked_up_at_deploy_in_a_table_over_every_value() {
        let of = |seconds: u64| format!("{seconds}s");
        assert_eq!(per_second(&json!(90), 90, of), json!("90s"));
        let by_parameter = json!({"Ref": "StopSeconds"});
        let looked_up = per_second(&by_parameter, 90, of);
        assert_eq!(looked_up["Fn::Select"][0], by_parameter);
        let table = looked_up["Fn::Select"][1].as_array().unwrap();
        assert_eq!(table.len(), 121);
        assert_eq!(table[90], json!("90s"));
        let below = per_second_below(&by_parameter, 50, 60, of);
        assert_eq!(below["Fn::Select"][1].as_array().unwrap().len(), 60);
    }

    #[test]
    fn the_signal_grace_period_leaves_the_agent_time_within_the_cancel_grace_period() {
        assert_eq!(signal_grace_within(30), 25);
        assert_eq!(signal_grace_within(120), 115);
        assert_eq!(signal_grace_within(10), 5);
        assert_eq!(signal_grace_within(6), 3);
        assert_eq!(signal_grace_within(2), 1);
        assert_eq!(signal_grace_within(1), 0);
        for cancel in 1..=120 {
            let signal = signal_grace_within(cancel);
            assert!(signal < cancel, "{cancel}");
            assert!(cancel - signal <= CLEANUP_SECONDS, "{cancel}");
        }
    }
}
