//! The shapes a property declaration is made of, and the helpers that build them: apart from
//! [`super::PROPERTIES`] so that a feature's declarations, in their own file, can use them.

use crate::properties::value_limits::ValueLimits;
use crate::template::context::ExpansionContext;

/// A check of a string value known at expansion: why it is wrong, worded to follow the value
/// (never quoting a parameter's value).
pub type TextCheck = fn(&str, &ExpansionContext) -> Result<(), String>;
/// A check of a whole number known at expansion.
pub type NumberCheck = fn(u64) -> Result<(), String>;

/// How a property's value is written.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A string, or an intrinsic function that yields one; `""` and `AWS::NoValue` count as
    /// absent.
    Text(Option<TextCheck>),
    /// A whole number, written as a number or a string of digits.
    WholeNumber(Option<NumberCheck>),
    /// `true` or `false` (or a parameter holding one): the macro decides with it.
    Boolean,
    /// A list of entries.
    List(ListShape),
}

#[derive(Debug, Clone, Copy)]
pub struct ListShape {
    pub entry: EntryShape,
    /// The key naming an entry, by which `Globals.TaskDefinition`'s entries and a resource's
    /// are merged; a list without one is replaced whole by the resource's.
    pub merge_key: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub enum EntryShape {
    Text,
    /// An object of these keys, the required ones first.
    Object {
        required: &'static [&'static str],
        optional: &'static [&'static str],
    },
}

impl EntryShape {
    pub fn keys(&self) -> Vec<&'static str> {
        match self {
            EntryShape::Text => Vec::new(),
            EntryShape::Object { required, optional } => {
                required.iter().chain(optional.iter()).copied().collect()
            }
        }
    }
}

/// What a property is when the template does not set it.
#[derive(Debug, Clone, Copy)]
pub enum PropertyDefault {
    Required,
    /// Absent: the feature it turns on is off.
    Absent,
    Text(&'static str),
    Number(u64),
    Boolean(bool),
    EmptyList,
    /// Computed by the reader; the text says how.
    Computed(&'static str),
    /// The first release read this template parameter: a `Ref` to it when the template
    /// declares it, else the first release's default.
    FirstReleaseParameter {
        parameter: &'static str,
        otherwise: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct PropertyDeclaration {
    pub name: &'static str,
    pub shape: Shape,
    /// What a literal value may be beyond its shape.
    pub limits: ValueLimits,
    pub default: PropertyDefault,
    /// Whether `Globals.TaskDefinition` may set it for every resource.
    pub global: bool,
    /// One line for the README's table.
    pub meaning: &'static str,
}

pub(crate) const fn text(check: TextCheck) -> Shape {
    Shape::Text(Some(check))
}

pub(crate) const ANY_TEXT: Shape = Shape::Text(None);

pub(crate) const fn list(entry: EntryShape, merge_key: Option<&'static str>) -> Shape {
    Shape::List(ListShape { entry, merge_key })
}

pub(crate) const fn object(
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> EntryShape {
    EntryShape::Object { required, optional }
}
