//! The Buildkite agent's own settings, declared as properties: each is written to the `agent`
//! container as the variable the agent reads (`crate::features::agent_settings` and
//! `crate::features::stop_grace` read them). Flag names, variables and defaults are those of the
//! agent's `clicommand/agent_start.go` and `clicommand/cancel_signal.go`.

use super::shapes::{
    ANY_TEXT, EntryShape, PropertyDeclaration, PropertyDefault, Shape, list, text,
};
use crate::features::agent_settings::check_agent_queue;
use crate::properties::value_limits::ValueLimits;

const fn flag(name: &'static str, meaning: &'static str) -> PropertyDeclaration {
    PropertyDeclaration {
        name,
        shape: Shape::Boolean,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Computed("not written: the agent's, false"),
        global: true,
        meaning,
    }
}

const fn seconds(
    name: &'static str,
    default: &'static str,
    meaning: &'static str,
) -> PropertyDeclaration {
    PropertyDeclaration {
        name,
        shape: Shape::WholeNumber(None),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Computed(default),
        global: true,
        meaning,
    }
}

const fn patterns(name: &'static str, meaning: &'static str) -> PropertyDeclaration {
    PropertyDeclaration {
        name,
        shape: list(EntryShape::Text, None),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Computed("not written: any"),
        global: true,
        meaning,
    }
}

pub(super) const QUEUE: PropertyDeclaration = PropertyDeclaration {
    name: "AgentQueue",
    shape: text(check_agent_queue),
    limits: ValueLimits::Pattern("^[^,=]+$"),
    default: PropertyDefault::Computed("not written: the agent's, `default`"),
    global: true,
    meaning: "the queue the agent takes jobs from, written as the tag `queue=<queue>` in `BUILDKITE_AGENT_TAGS` (every agent 3 reads it)",
};

pub(super) const TAGS: PropertyDeclaration = PropertyDeclaration {
    name: "AgentTags",
    shape: list(EntryShape::Text, None),
    limits: ValueLimits::Unlimited,
    default: PropertyDefault::EmptyList,
    global: true,
    meaning: "agent tags, each `key=value` (no comma), into `BUILDKITE_AGENT_TAGS` after `AgentQueue`'s",
};

pub(super) const TAGS_FROM_ECS_METADATA: PropertyDeclaration = flag(
    "AgentTagsFromEcsMetadata",
    "tag the agent from the task's ECS metadata (`ecs:task-arn`, `ecs:availability-zone`, ...; `BUILDKITE_AGENT_TAGS_FROM_ECS_META_DATA`)",
);

pub(super) const DISCONNECT_AFTER_JOB: PropertyDeclaration = flag(
    "AgentDisconnectAfterJob",
    "run one job, then exit, and so end the task (`BUILDKITE_AGENT_DISCONNECT_AFTER_JOB`): one task per job",
);

pub(super) const DISCONNECT_AFTER_IDLE_TIMEOUT: PropertyDeclaration = seconds(
    "AgentDisconnectAfterIdleTimeout",
    "not written: the agent's, 0 (none)",
    "seconds the agent waits for a job before it exits, ending the task (`BUILDKITE_AGENT_DISCONNECT_AFTER_IDLE_TIMEOUT`)",
);

pub(super) const PRIORITY: PropertyDeclaration = seconds(
    "AgentPriority",
    "not written: the agent's, none",
    "the agent's priority, a whole number: agents of higher priority are given jobs first (`BUILDKITE_AGENT_PRIORITY`)",
);

pub(super) const NAME: PropertyDeclaration = PropertyDeclaration {
    name: "AgentName",
    shape: ANY_TEXT,
    limits: ValueLimits::Unlimited,
    default: PropertyDefault::Computed("not written: the agent's"),
    global: true,
    meaning: "the agent's name, as the agent takes it (`BUILDKITE_AGENT_NAME`)",
};

pub(super) const NO_COMMAND_EVAL: PropertyDeclaration = flag(
    "AgentNoCommandEval",
    "run only scripts in the repository, no command written in a step, and no plugins unless `AgentNoPlugins: false` (`BUILDKITE_NO_COMMAND_EVAL`)",
);

pub(super) const NO_LOCAL_HOOKS: PropertyDeclaration = flag(
    "AgentNoLocalHooks",
    "run no hooks from the checked-out repository, and no plugins unless `AgentNoPlugins: false` (`BUILDKITE_NO_LOCAL_HOOKS`)",
);

pub(super) const NO_PLUGINS: PropertyDeclaration = flag(
    "AgentNoPlugins",
    "run no plugins (`BUILDKITE_NO_PLUGINS`); `false` written keeps them with `AgentNoCommandEval` or `AgentNoLocalHooks`",
);

pub(super) const ALLOWED_REPOSITORIES: PropertyDeclaration = patterns(
    "AgentAllowedRepositories",
    "regular expressions (no comma) of the repositories the agent may check out (`BUILDKITE_ALLOWED_REPOSITORIES`)",
);

pub(super) const ALLOWED_PLUGINS: PropertyDeclaration = patterns(
    "AgentAllowedPlugins",
    "regular expressions (no comma) of the plugins the agent may run (`BUILDKITE_ALLOWED_PLUGINS`)",
);

pub(super) const CANCEL_GRACE_PERIOD: PropertyDeclaration = seconds(
    "AgentCancelGracePeriod",
    "`StopTimeout` (30 when unset)",
    "seconds a cancelled job and the agent's cleanup after it take in all, at most `StopTimeout` (`BUILDKITE_CANCEL_GRACE_PERIOD`; agent 4's `BUILDKITE_CANCEL_CLEANUP_TIMEOUT` is the rest after the signal grace period)",
);

pub(super) const SIGNAL_GRACE_PERIOD: PropertyDeclaration = seconds(
    "AgentSignalGracePeriodSeconds",
    "the cancel grace period less 5 s (less half of it below 10 s)",
    "seconds a cancelled job has after its signal before SIGKILL, shorter than the cancel grace period (`BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS`; agent 4's `BUILDKITE_CANCEL_SIGNAL_TIMEOUT`)",
);
