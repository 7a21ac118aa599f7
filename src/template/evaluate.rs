//! Template values as CloudFormation computes them (the rules cfn-lint's
//! `cfnlint/jsonschema/_resolvers_cfn.py` follows): `Ref`, `Fn::Join`, `Fn::Sub`, `Fn::Select`,
//! `Fn::Split`, `Fn::FindInMap`, `Fn::If`, `Fn::GetAtt` and `Fn::ImportValue` fold, from the
//! request and the template, to a known value, to text with holes, or to unknown. Every
//! analysis reads that one form, so a `Fn::Join` and a `Fn::Sub` of the same value read alike.

use serde_json::Value;

use crate::template::sub::{SubPiece, write_sub};
use crate::template::value::{intrinsic_name, object};

/// How deep functions may nest before a value is taken as unknown (a template nests a few).
const MAX_DEPTH: usize = 32;

/// What a value evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    /// Known here, and written as such: no parameter's value is in it.
    Known(Value),
    /// Text that holds a parameter's value, a pseudo parameter, or what only a deploy fills.
    Text(Text),
    /// A list whose items are not all known values (a list parameter, a `Fn::Split`).
    List(Vec<Evaluated>),
    /// A list whose first items are known and whose rest only a deploy gives: a `Fn::Split`
    /// of text with a hole, up to the hole (`Fn::Select` reads them).
    Leading(Vec<Evaluated>),
    /// `AWS::NoValue`: as if the value were not there.
    NoValue,
    /// Nothing is known of it here (an undecided `Fn::If`, `Fn::GetAZs`, a list of unknown length).
    Unknown,
}

/// Text in one representation: literal pieces, pieces known here but written as their
/// expression, and holes a deploy fills.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    pub pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(String),
    /// A parameter's value or a pseudo parameter: read for checks, never written nor shown.
    Known {
        value: String,
        written: Written,
    },
    /// What only a deploy fills: a `GetAtt`, an `ImportValue`, a resource's `Ref`, a
    /// parameter without a value.
    Hole(Written),
}

/// How a piece that is not literal is written back.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// `${Name}`: a parameter, a pseudo parameter, a resource, or `X.Attribute`.
    Variable(String),
    /// Any other expression: a variable of the list form of `Fn::Sub`.
    Expression(Value),
    /// An expression a `Fn::Sub` variable of the list form named: written under that name.
    Named(String, Value),
}

impl Written {
    /// The expression alone: `${Name}` as a `Ref` or a `GetAtt`.
    pub fn to_value(&self) -> Value {
        match self {
            Written::Variable(name) => match name.split_once('.') {
                Some((resource, attribute)) => object([(
                    "Fn::GetAtt",
                    Value::Array(vec![
                        Value::String(resource.to_owned()),
                        Value::String(attribute.to_owned()),
                    ]),
                )]),
                None => object([("Ref", Value::String(name.clone()))]),
            },
            Written::Expression(expression) | Written::Named(_, expression) => expression.clone(),
        }
    }
}

impl Text {
    pub fn literal(text: impl Into<String>) -> Self {
        let mut made = Text::default();
        made.push(Piece::Literal(text.into()));
        made
    }

    fn hole(written: Written) -> Self {
        Text {
            pieces: vec![Piece::Hole(written)],
        }
    }

    /// Appends a piece; literal text next to literal text is one piece.
    pub fn push(&mut self, piece: Piece) {
        match (self.pieces.last_mut(), piece) {
            (_, Piece::Literal(text)) if text.is_empty() => {}
            (Some(Piece::Literal(before)), Piece::Literal(text)) => before.push_str(&text),
            (_, piece) => self.pieces.push(piece),
        }
    }

    /// Appends literal text, into the literal piece before it where there is one.
    pub fn push_literal(&mut self, text: &str) {
        match self.pieces.last_mut() {
            _ if text.is_empty() => {}
            Some(Piece::Literal(before)) => before.push_str(text),
            _ => self.pieces.push(Piece::Literal(text.to_owned())),
        }
    }

    pub fn extend(&mut self, other: Text) {
        other.pieces.into_iter().for_each(|piece| self.push(piece));
    }

    /// The text when all of it is literal.
    pub fn as_literal(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [Piece::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether a deploy fills some of it.
    pub fn has_holes(&self) -> bool {
        self.pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Hole(_)))
    }

    /// Whether some of it is a parameter's value or a pseudo parameter.
    pub fn has_known_expressions(&self) -> bool {
        self.pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Known { .. }))
    }

    /// The text as checks may read it (parameters' values in), when no deploy fills any of it.
    pub fn sample(&self) -> Option<String> {
        let length = self.pieces.iter().map(|piece| match piece {
            Piece::Literal(text) | Piece::Known { value: text, .. } => text.len(),
            Piece::Hole(_) => 0,
        });
        let mut sample = String::with_capacity(length.sum());
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) | Piece::Known { value: text, .. } => sample.push_str(text),
                Piece::Hole(_) => return None,
            }
        }
        Some(sample)
    }

    /// The simplest CloudFormation value that yields this text: a plain string when all
    /// literal, else a `Fn::Sub` (parameters, pseudo parameters, resources and `GetAtt`s as
    /// `${Name}`, any other expression a variable of the list form). No parameter's value is
    /// in it.
    pub fn to_value(&self) -> Value {
        if let Some(text) = self.as_literal() {
            return Value::String(text.to_owned());
        }
        if let [Piece::Known { written, .. } | Piece::Hole(written)] = self.pieces.as_slice() {
            return written.to_value();
        }
        let parts: Vec<SubPiece<'_>> = self
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => SubPiece::Literal(text),
                Piece::Known { written, .. } | Piece::Hole(written) => match written {
                    Written::Variable(name) => SubPiece::Variable(name),
                    Written::Named(name, expression) => SubPiece::Named(name, expression),
                    Written::Expression(expression) => SubPiece::Expression(expression),
                },
            })
            .collect();
        write_sub(&parts)
    }

    /// The text cut at `separator` outside its holes and known expressions (which stay whole
    /// in the field they start), into at most `most` fields: the last keeps the rest.
    pub fn split(&self, separator: char, most: usize) -> Vec<Text> {
        let mut fields = vec![Text::default()];
        for piece in &self.pieces {
            let Piece::Literal(text) = piece else {
                fields.last_mut().expect("one field").push(piece.clone());
                continue;
            };
            let mut rest = text.as_str();
            while fields.len() < most
                && let Some((before, after)) = rest.split_once(separator)
            {
                fields
                    .last_mut()
                    .expect("one field")
                    .push(Piece::Literal(before.to_owned()));
                fields.push(Text::default());
                rest = after;
            }
            fields
                .last_mut()
                .expect("one field")
                .push(Piece::Literal(rest.to_owned()));
        }
        fields
    }
}

impl Evaluated {
    /// The value as text, where it is one: `original`, the value as written, becomes a hole
    /// when nothing is known of it.
    pub fn into_text(self, original: &Value) -> Option<Text> {
        match self {
            Evaluated::Known(Value::String(text)) => Some(Text::literal(text)),
            Evaluated::Known(Value::Number(number)) => Some(Text::literal(number.to_string())),
            Evaluated::Known(Value::Bool(flag)) => Some(Text::literal(flag.to_string())),
            Evaluated::Text(text) => Some(text),
            Evaluated::Unknown if intrinsic_name(original).is_some() => {
                Some(Text::hole(Written::Expression(original.clone())))
            }
            _ => None,
        }
    }

    /// The text checks may read (a parameter's value included), when all of it is known here.
    pub fn sample(&self) -> Option<String> {
        match self {
            Evaluated::Known(Value::String(text)) => Some(text.clone()),
            Evaluated::Known(Value::Number(number)) => Some(number.to_string()),
            Evaluated::Known(Value::Bool(flag)) => Some(flag.to_string()),
            Evaluated::Text(text) => text.sample(),
            _ => None,
        }
    }

    /// A list of the items; a known list when every item is a known value.
    fn list(items: Vec<Evaluated>) -> Evaluated {
        if items.iter().all(|item| matches!(item, Evaluated::Known(_))) {
            Evaluated::Known(Value::Array(
                items
                    .into_iter()
                    .map(|item| match item {
                        Evaluated::Known(value) => value,
                        _ => unreachable!("every item is known"),
                    })
                    .collect(),
            ))
        } else {
            Evaluated::List(items)
        }
    }
}

/// How a message names a value computed by a function, never with a parameter's value: a
/// `!Sub` by its text (which holds names, not values), any other by its function.
pub fn describe_computed(value: &Value) -> String {
    if let Some((template, _)) = crate::template::sub::sub_arguments(value) {
        let shown = crate::template::problems::show_literal(&Value::String(template.to_owned()));
        return format!("the !Sub {shown}");
    }
    if let Some(target) = crate::template::value::ref_target(value) {
        return format!("the value of {target}");
    }
    // An item of a list function, as the list readers write each item.
    if let Some([Value::Number(index), list]) = value
        .get("Fn::Select")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .filter(|_| intrinsic_name(value).is_some())
    {
        return format!("item {index} of {}", describe_computed(list));
    }
    match intrinsic_name(value) {
        Some(name) => format!("the !{}", name.trim_start_matches("Fn::")),
        None => "the value".to_owned(),
    }
}

mod functions;

#[cfg(test)]
mod tests;
