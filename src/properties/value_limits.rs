//! What a literal value may be beyond its shape (`ValueLimits`), and the checks that hold a
//! value to it: data the reader and the JSON Schema both read.

use crate::properties::fargate;
use crate::template::arn;
use crate::template::context::ExpansionContext;

pub(crate) fn check_execute_api_stage(
    text: &str,
    context: &ExpansionContext,
) -> Result<(), String> {
    arn::parse_execute_api_stage(text, context).map(drop)
}

pub(crate) fn check_role_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    arn::check_role_arn(text, context)
}

pub(crate) fn check_policy_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    arn::check_policy_arn(text, context)
}

pub(crate) fn check_kms_key_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    arn::check_kms_key_arn(text, context)
}

/// "Encrypt log data in CloudWatch Logs using AWS KMS": the key of the log group's region.
pub(crate) fn check_log_kms_key(text: &str, context: &ExpansionContext) -> Result<(), String> {
    arn::check_kms_key_arn_in_stack_region(
        text,
        context,
        "where the log group is, and CloudWatch Logs encrypts a log group with a key of its own region only",
    )
}

/// ECS Exec's session key: the cluster's, used by the task's session agent in its region.
pub(crate) fn check_exec_kms_key(text: &str, context: &ExpansionContext) -> Result<(), String> {
    arn::check_kms_key_arn_in_stack_region(
        text,
        context,
        "where the task and its cluster run, and ECS Exec's session agent in the task decrypts with a key of that region only",
    )
}

pub(crate) fn check_artifacts_bucket(text: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::s3::check_bucket_name(text, Some("ArtifactsPrefix"))
}

pub(crate) fn check_exec_bucket(text: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::s3::check_bucket_name(text, None)
}

pub(crate) fn check_exec_log_group(text: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::exec::check_log_group_name(text)
}

pub(crate) fn check_artifacts_prefix(text: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::s3::check_prefix(text)
}

pub(crate) fn check_iam_path(text: &str, _: &ExpansionContext) -> Result<(), String> {
    arn::check_iam_path(text)
}

pub fn check_family(family: &str, _: &ExpansionContext) -> Result<(), String> {
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

pub(crate) fn check_cpu_architecture(text: &str, _: &ExpansionContext) -> Result<(), String> {
    check_one_of(CPU_ARCHITECTURES, text, |all| {
        format!("is not a CPU architecture Fargate offers ({all})")
    })
}

/// Whether `text` is one of the texts `limits` lists; if not, the message `refusal` makes of
/// them, joined with "or".
pub(crate) fn check_one_of(
    limits: ValueLimits,
    text: &str,
    refusal: impl FnOnce(String) -> String,
) -> Result<(), String> {
    let ValueLimits::OneOf(texts) = limits else {
        unreachable!("the limits list texts")
    };
    if texts.contains(&text) {
        Ok(())
    } else {
        Err(refusal(texts.join(" or ")))
    }
}

pub(crate) fn check_cpu(cpu: u64) -> Result<(), String> {
    if FARGATE_CPU.allows_number(cpu) == Some(true) {
        Ok(())
    } else {
        Err(format!(
            "is not a Fargate CPU size ({})",
            fargate::cpu_sizes()
        ))
    }
}

pub(crate) fn check_memory(memory: u64) -> Result<(), String> {
    if FARGATE_MEMORY.allows_number(memory) == Some(true) {
        Ok(())
    } else {
        Err("is not a Fargate memory size in MiB".to_owned())
    }
}

pub(crate) fn check_log_retention(days: u64) -> Result<(), String> {
    let ValueLimits::Numbers(retentions) = LOG_RETENTION_DAYS else {
        unreachable!("the retentions are listed")
    };
    if retentions.contains(&days) {
        Ok(())
    } else {
        let accepted: Vec<String> = retentions.iter().map(u64::to_string).collect();
        Err(format!(
            "is not a retention CloudWatch Logs accepts ({})",
            fargate::join_alternatives(&accepted)
        ))
    }
}

pub(crate) fn check_ephemeral_storage(size: u64) -> Result<(), String> {
    let ValueLimits::Range { min, max } = EPHEMERAL_STORAGE_GIB else {
        unreachable!("the storage sizes are a range")
    };
    if (min..=max).contains(&size) {
        Ok(())
    } else {
        Err(format!(
            "is not an ephemeral storage size Fargate offers ({min} to {max} GiB)"
        ))
    }
}

pub(crate) fn check_stop_timeout(seconds: u64) -> Result<(), String> {
    let ValueLimits::Range { min, max } = STOP_TIMEOUT_SECONDS else {
        unreachable!("the stop timeouts are a range")
    };
    if (min..=max).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "is not a stop timeout Fargate allows ({min} to {max} seconds)"
        ))
    }
}

/// The retention periods CloudWatch Logs accepts.
pub(crate) const LOG_RETENTION_DAYS: ValueLimits = ValueLimits::Numbers(&[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
]);
pub(crate) const CPU_ARCHITECTURES: ValueLimits = ValueLimits::OneOf(&["X86_64", "ARM64"]);
pub(crate) const EPHEMERAL_STORAGE_GIB: ValueLimits = ValueLimits::Range { min: 21, max: 200 };
pub(crate) const STOP_TIMEOUT_SECONDS: ValueLimits = ValueLimits::Range { min: 2, max: 120 };
pub(crate) const FARGATE_CPU: ValueLimits = ValueLimits::NumbersWhere {
    accepts: fargate::is_cpu_size,
    max: 16384,
};
pub(crate) const FARGATE_MEMORY: ValueLimits = ValueLimits::NumbersWhere {
    accepts: fargate::is_memory_size,
    max: 122_880,
};
/// A task definition family: what [`check_family`] accepts.
pub(crate) const FAMILY: ValueLimits = ValueLimits::Pattern("^[A-Za-z0-9_-]{1,255}$");

/// What a literal value may be beyond its shape, as data, so that the property's check and the
/// JSON Schema (`crate::properties::schema`) read the same thing. A pattern is a necessary condition: the
/// check may refuse more (a partition other than the stack's, a length).
#[derive(Debug, Clone, Copy)]
pub enum ValueLimits {
    /// Nothing beyond the shape.
    Unlimited,
    /// One of these texts.
    OneOf(&'static [&'static str]),
    /// A text this regular expression matches (written for both ECMA-262, which JSON Schema's
    /// `pattern` uses, and Python's `re`).
    Pattern(&'static str),
    /// One of these numbers.
    Numbers(&'static [u64]),
    /// A number from `min` to `max`.
    Range { min: u64, max: u64 },
    /// A number `accepts` takes, none above `max`.
    NumbersWhere { accepts: fn(u64) -> bool, max: u64 },
}

impl ValueLimits {
    /// Whether a number is within these limits; `None` for limits of text.
    pub fn allows_number(&self, number: u64) -> Option<bool> {
        match *self {
            ValueLimits::Unlimited => Some(true),
            ValueLimits::Numbers(numbers) => Some(numbers.contains(&number)),
            ValueLimits::Range { min, max } => Some((min..=max).contains(&number)),
            ValueLimits::NumbersWhere { accepts, max } => Some(number <= max && accepts(number)),
            ValueLimits::OneOf(_) | ValueLimits::Pattern(_) => None,
        }
    }

    /// Every number within these limits, for a schema's `enum`; `None` for a range or text.
    pub fn listed_numbers(&self) -> Option<Vec<u64>> {
        match *self {
            ValueLimits::Numbers(numbers) => Some(numbers.to_vec()),
            ValueLimits::NumbersWhere { accepts, max } => {
                Some((0..=max).filter(|number| accepts(*number)).collect())
            }
            _ => None,
        }
    }
}
