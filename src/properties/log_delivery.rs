//! How every container's output reaches CloudWatch Logs: the `awslogs` options `mode` and
//! `max-buffer-size` (`LogDriverMode`, `LogMaxBufferSize`), read and checked.

use serde_json::Value;

use super::reader::PropertyReader;
use crate::properties::value_limits::{ValueLimits, check_one_of};
use crate::template::context::ExpansionContext;

/// The `awslogs` options the macro writes beside the group, region and stream prefix.
#[derive(Debug, Clone, Default)]
pub struct LogDelivery {
    /// `mode`: always written, so that the account's `defaultLogDriverMode` does not decide.
    pub mode: Value,
    pub max_buffer_size: Option<Value>,
}

/// What the macro writes without `LogDriverMode`: a build never waits on CloudWatch Logs.
pub(crate) const DEFAULT_LOG_DRIVER_MODE: &str = "non-blocking";
pub(crate) const LOG_DRIVER_MODES: ValueLimits = ValueLimits::OneOf(&["non-blocking", "blocking"]);
/// Docker's size form (`go-units` `RAMInBytes`), less the units no log buffer needs.
pub(crate) const LOG_MAX_BUFFER_SIZE: ValueLimits =
    ValueLimits::Pattern("^[0-9]+(\\.[0-9]+)? ?[kKmMgG]?[iI]?[bB]?$");

pub(crate) fn check_log_driver_mode(text: &str, _: &ExpansionContext) -> Result<(), String> {
    check_one_of(LOG_DRIVER_MODES, text, |all| {
        format!("is not an awslogs mode ({all}, in lower case)")
    })
}

/// A size as Docker reads `max-buffer-size` (what [`LOG_MAX_BUFFER_SIZE`] matches), above zero.
pub(crate) fn check_log_max_buffer_size(text: &str, _: &ExpansionContext) -> Result<(), String> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    let mut unit = unit.strip_prefix(' ').unwrap_or(unit).bytes().peekable();
    unit.next_if(|b| b"kKmMgG".contains(b));
    unit.next_if(|b| b"iI".contains(b));
    unit.next_if(|b| b"bB".contains(b));
    let decimal =
        number.split('.').all(|part| !part.is_empty()) && number.matches('.').count() <= 1;
    match number.parse::<f64>() {
        Ok(size) if decimal && unit.next().is_none() => {
            if size > 0.0 {
                Ok(())
            } else {
                Err("is no buffer: give a size above zero".to_owned())
            }
        }
        _ => Err("is not a buffer size as the log driver reads it: a number and a unit, k, m or g (such as 25m)".to_owned()),
    }
}

impl PropertyReader<'_, '_, '_> {
    /// `LogDriverMode` and `LogMaxBufferSize`. With the mode, as known, `blocking`, which keeps
    /// no buffer, a size is refused; but a `Globals` size gives way to a resource's own
    /// `blocking`, as a resource's own value wins.
    pub(crate) fn log_delivery(&mut self) -> LogDelivery {
        // Unset, the default, without looking the declaration up.
        let mode = self
            .text("LogDriverMode")
            .unwrap_or(Value::String(DEFAULT_LOG_DRIVER_MODE.to_owned()));
        let mut max_buffer_size = self.text("LogMaxBufferSize");
        let blocking = self.scope.resolve(&mode).as_str() == Some("blocking");
        if blocking
            && max_buffer_size.is_some()
            && let Some(size) = self.sourced("LogMaxBufferSize")
        {
            let global = |place: crate::template::place::Place<'_>| {
                place.starts_at("Globals.TaskDefinition")
            };
            let mode_of_resource = self
                .sourced("LogDriverMode")
                .is_some_and(|m| !global(m.place));
            if global(size.place) && mode_of_resource {
                max_buffer_size = None;
            } else {
                self.problems.push(
                    size.place,
                    "has no effect with LogDriverMode blocking, which keeps no buffer: remove it, or set LogDriverMode to non-blocking",
                );
            }
        }
        LogDelivery {
            mode,
            max_buffer_size,
        }
    }
}
