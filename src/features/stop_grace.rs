//! Grace periods that fit the task (`AgentCancelGracePeriod`, `AgentSignalGracePeriodSeconds`).
//! ECS stops the `agent` container with SIGTERM, then SIGKILL after its `StopTimeout` (30 s
//! unset); the agent gives a cancelled job its signal grace period before SIGKILL, and itself the
//! cancel grace period in all, 10 s and 9 s by default whatever `StopTimeout` says. So the cancel
//! grace period follows `StopTimeout`, and the signal grace period ends a few seconds short of it
//! to leave the agent time to upload the log and finish the job, as agent-stack-k8s does for its
//! pods (its PR 748). Agent 3 reads `BUILDKITE_CANCEL_GRACE_PERIOD` and
//! `BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS` and refuses to start unless the signal grace period is
//! the shorter; agent 4 reads `BUILDKITE_CANCEL_SIGNAL_TIMEOUT` and `BUILDKITE_CANCEL_CLEANUP_TIMEOUT`
//! (the rest) instead, so both are written. No AWS is involved, so no grant.

use serde_json::{Value, json};

use crate::features::agent_settings::{AgentVariable, WrittenVariable};
use crate::properties::reader::{PropertyReader, UsedNames};
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
        let as_text = |given: Option<&(Value, Option<u64>)>, known: Option<u64>| match given {
            Some((Value::Number(number), _)) => Some(json!(number.to_string())),
            Some((value, _)) => Some(value.clone()),
            None => known.map(|seconds| json!(seconds.to_string())),
        };
        if let Some(value) = as_text(cancel_given.as_ref(), cancel) {
            write(CANCEL_GRACE, value);
        }
        if let Some(value) = as_text(signal_given.as_ref(), signal) {
            write(SIGNAL_GRACE, value);
        }
        if let (Some(cancel), Some(signal)) = (cancel, signal)
            && signal < cancel
        {
            write(AGENT_4_SIGNAL_TIMEOUT, json!(format!("{signal}s")));
            write(
                AGENT_4_CLEANUP_TIMEOUT,
                json!(format!("{}s", cancel - signal)),
            );
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
