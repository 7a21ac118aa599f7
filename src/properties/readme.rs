//! The README's property table and Globals sentence, written from the declarations so that
//! they cannot disagree with what the reader accepts.

use crate::properties::declarations::{
    EntryShape, ListShape, PROPERTIES, PropertyDeclaration, PropertyDefault, Shape,
};

/// The README's property table, as Markdown.
pub fn readme_table() -> String {
    let mut table = String::from(
        "| Property | Shape | Default | In `Globals` | Meaning |\n| --- | --- | --- | --- | --- |\n",
    );
    for property in PROPERTIES {
        let global = if property.global { "yes" } else { "no" };
        table.push_str(&format!(
            "| `{}` | {} | {} | {global} | {} |\n",
            property.name,
            property.shape_text(),
            property.default_text(),
            property.meaning
        ));
    }
    table
}

/// The README's sentences on `Globals.TaskDefinition`: which properties it may not set, and
/// which merge with a resource's own (in declaration order), by which keys. Compared with the
/// README with its line breaks taken as spaces, so that the README may wrap it.
pub fn globals_sentence() -> String {
    let quoted = |names: Vec<&str>| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>();
    let not_global = quoted(
        PROPERTIES
            .iter()
            .filter(|p| !p.global)
            .map(|p| p.name)
            .collect(),
    );
    let mut keys = Vec::new();
    let mut merged = Vec::new();
    for property in PROPERTIES.iter().filter(|p| p.global) {
        if let Shape::List(ListShape {
            merge_key: Some(key),
            ..
        }) = property.shape
        {
            merged.push(property.name);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    format!(
        "`Globals: TaskDefinition:` sets any property but {} for every Buildkite resource of the \
         template. A resource's own value wins; {} merge, global entries first, an entry of the \
         resource replacing the global one of the same {}.",
        and_list(&not_global),
        and_list(&quoted(merged)),
        quoted(keys).join("/")
    )
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl PropertyDeclaration {
    /// How the value is written, in words (Markdown).
    pub fn shape_text(&self) -> String {
        match self.shape {
            Shape::Text(_) => "string".to_owned(),
            Shape::WholeNumber(_) => "whole number".to_owned(),
            Shape::Boolean => "boolean".to_owned(),
            Shape::List(ListShape {
                entry: EntryShape::Text,
                ..
            }) => "list of strings".to_owned(),
            Shape::List(ListShape { entry, .. }) => {
                format!("list of `{{{}}}`", entry.keys().join(", "))
            }
        }
    }

    /// The default, in words (Markdown).
    pub fn default_text(&self) -> String {
        match self.default {
            PropertyDefault::Required => "required".to_owned(),
            PropertyDefault::Absent => "none".to_owned(),
            PropertyDefault::Text(text) => format!("`{text}`"),
            PropertyDefault::Number(number) => number.to_string(),
            PropertyDefault::Boolean(flag) => format!("`{flag}`"),
            PropertyDefault::EmptyList => "`[]`".to_owned(),
            PropertyDefault::Computed(how) => how.to_owned(),
            PropertyDefault::FirstReleaseParameter {
                parameter,
                otherwise,
            } => format!("`!Ref {parameter}` if the template declares it, else `{otherwise}`"),
        }
    }
}
