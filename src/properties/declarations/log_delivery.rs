//! The `awslogs` delivery options of every container: how a container's output reaches
//! CloudWatch Logs when CloudWatch is slow (`crate::properties::log_delivery` reads them).

use super::shapes::{PropertyDeclaration, PropertyDefault, text};
use crate::properties::log_delivery::{
    DEFAULT_LOG_DRIVER_MODE, LOG_DRIVER_MODES, LOG_MAX_BUFFER_SIZE, check_log_driver_mode,
    check_log_max_buffer_size,
};

pub(super) const LOG_DRIVER_MODE: PropertyDeclaration = PropertyDeclaration {
    name: "LogDriverMode",
    shape: text(check_log_driver_mode),
    limits: LOG_DRIVER_MODES,
    default: PropertyDefault::Text(DEFAULT_LOG_DRIVER_MODE),
    global: true,
    meaning: "`awslogs` `mode` of every container: `non-blocking` (a build never waits on CloudWatch Logs; output past the buffer is dropped) or `blocking` (a write waits until CloudWatch takes it); written out whatever the account's `defaultLogDriverMode`",
};

pub(super) const LOG_MAX_BUFFER_SIZE_PROPERTY: PropertyDeclaration = PropertyDeclaration {
    name: "LogMaxBufferSize",
    shape: text(check_log_max_buffer_size),
    limits: LOG_MAX_BUFFER_SIZE,
    default: PropertyDefault::Computed("not written: the log driver's, 1 MB"),
    global: true,
    meaning: "`awslogs` `max-buffer-size` of every container in `non-blocking` mode, a size such as `25m` (`k`, `m` or `g`)",
};
