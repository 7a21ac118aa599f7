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
