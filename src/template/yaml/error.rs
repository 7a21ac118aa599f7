//! Why a template could not be read.

use thiserror::Error;

/// Why a template could not be read. Messages name the place (the path where it is known, the
/// line and column) and never quote the template's content: a value may be a secret.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateReadError {
    /// The parser stopped: not YAML (or JSON) at all.
    #[error("the template is not valid {format}: {message} at line {line} column {column}{hint}")]
    Syntax {
        format: &'static str,
        message: String,
        line: usize,
        column: usize,
        /// How the usual cause is fixed, after `; `, or empty.
        hint: &'static str,
    },
    /// YAML that CloudFormation's reading refuses, or that has no JSON form.
    #[error("{place}: {why}")]
    Refused { place: String, why: String },
    #[error("the template must be a mapping at the top level")]
    NotAMapping,
}
