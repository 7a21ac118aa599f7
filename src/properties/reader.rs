//! The reader of one resource's properties: the inputs it reads (each with where it was
//! written), the names it has seen, and the declarations it reads them by. Its methods live
//! beside what they read (primitives, containers, limits, a feature's own file).

use std::borrow::Cow;

use serde_json::Value;

use crate::properties::declarations::EntryShape;
use crate::properties::declarations::PropertyDeclaration;
use crate::properties::declarations::Shape;
use crate::properties::declarations::declaration;
use crate::template::place::Place;
use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;

/// The names used so far in one namespace (a container's variables, the containers, the
/// volumes), and where.
#[derive(Default)]
pub(crate) struct UsedNames<'a> {
    /// Borrowed from the template where a name is written there.
    pub(crate) used: Vec<(Cow<'a, str>, Place<'a>)>,
}

impl<'a> UsedNames<'a> {
    /// `Some(place of the first use)` when `name` is taken already.
    pub(crate) fn claim(
        &mut self,
        name: impl Into<Cow<'a, str>>,
        place: Place<'a>,
    ) -> Option<Place<'a>> {
        let name = name.into();
        if let Some((_, first)) = self.used.iter().find(|(used, _)| *used == name) {
            return Some(*first);
        }
        self.used.push((name, place));
        None
    }
}

pub(crate) struct PropertyReader<'s, 'p, 'i> {
    pub(crate) scope: &'s TemplateScope<'s>,
    pub(crate) problems: &'p mut Problems,
    pub(crate) inputs: &'i [(&'i str, PropertyInput<'i>)],
    /// The properties that default to a parameter the template declares.
    pub(crate) parameter_defaults: &'i [ParameterDefault],
    pub(crate) properties_path: &'i str,
    /// `AttachTaskExecutionRolePolicy`: AWS's managed policy pulls every image.
    pub(crate) attach_task_execution_role_policy: bool,
    /// The images built for x86_64 alone, refused once `CpuArchitecture` is read as ARM64:
    /// their place, how a message names them, and what to run instead.
    pub(crate) x86_64_only_images: Vec<(String, NamedImage, &'static str)>,
}

/// An image as a message names it, kept unformatted until a message needs it.
pub(crate) enum NamedImage {
    /// As written: shown.
    Written(Value),
    /// A parameter's value: never shown, the parameter named.
    Parameter(String),
}

impl NamedImage {
    /// The image as a message names it.
    pub(crate) fn describe(&self) -> String {
        match self {
            NamedImage::Written(value) => crate::template::problems::show_literal(value),
            NamedImage::Parameter(name) => format!("the value of parameter {name}"),
        }
    }
}

/// A property that defaults to a template parameter the template declares: the `Ref` to it,
/// and the place a problem with its value is reported.
pub(crate) struct ParameterDefault {
    pub(crate) property: &'static str,
    pub(crate) place: Place<'static>,
    pub(crate) reference: Value,
}

pub(crate) fn declared(name: &str) -> &'static PropertyDeclaration {
    declaration(name).unwrap_or_else(|| panic!("{name} is not a declared property"))
}

/// The entries a list property declares.
pub(crate) fn list_entry(name: &str) -> EntryShape {
    match declared(name).shape {
        Shape::List(list) => list.entry,
        _ => unreachable!("{name} is a list"),
    }
}

/// A value and the place it was written, which may be `Globals.TaskDefinition`, or the
/// template parameter a property defaults to.
#[derive(Debug, Clone, Copy)]
pub struct Sourced<'a> {
    pub value: &'a Value,
    pub place: Place<'a>,
}

/// A property as given to one resource after `Globals.TaskDefinition` is applied.
#[derive(Debug, Clone)]
pub enum PropertyInput<'a> {
    Single(Sourced<'a>),
    /// A list merged from the globals and the resource, entry by entry.
    Entries {
        place: Place<'a>,
        entries: Vec<Sourced<'a>>,
    },
}

impl<'a> PropertyInput<'a> {
    pub fn place(&self) -> Place<'a> {
        match self {
            PropertyInput::Single(sourced) => sourced.place,
            PropertyInput::Entries { place, .. } => *place,
        }
    }
}
