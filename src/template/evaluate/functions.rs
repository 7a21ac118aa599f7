//! The functions CloudFormation evaluates, folded from the request and the template: `Ref`,
//! `Fn::GetAtt`, `Fn::ImportValue`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
//! `Fn::FindInMap`, `Fn::If` and the conditions that decide it.

use std::borrow::Cow;

use serde_json::Value;

use super::{Evaluated, MAX_DEPTH, Piece, Text, Written};
use crate::template::scope::TemplateScope;
use crate::template::sub::{SubPart, sub_parts, unescape_sub_text};
use crate::template::value::{intrinsic_name, object};

/// A known piece of text written as `written`.
fn known(value: impl Into<String>, written: Written) -> Evaluated {
    Evaluated::Text(Text {
        pieces: vec![Piece::Known {
            value: value.into(),
            written,
        }],
    })
}

fn hole(written: Written) -> Evaluated {
    Evaluated::Text(Text::hole(written))
}

/// `{"Fn::Select": [index, list]}`, the written form of a list's item.
fn select(index: usize, list: Value) -> Value {
    object([("Fn::Select", Value::Array(vec![Value::from(index), list]))])
}

/// Whether a parameter of this `Type` holds a list.
fn is_list_type(kind: &str) -> bool {
    let kind = kind
        .strip_prefix("AWS::SSM::Parameter::Value<")
        .unwrap_or(kind);
    kind.starts_with("List<") || kind.starts_with("CommaDelimitedList")
}

impl TemplateScope<'_> {
    /// `value` in the form the analyses read: a function they do not read themselves
    /// (`Fn::Join`, `Fn::Select`, `Fn::FindInMap`, a decided `Fn::If`, ...) folded to a string,
    /// a `Ref`, a `GetAtt`, or the `Fn::Sub` that yields the same text, so that a `Fn::Join` is
    /// read as its `Fn::Sub` twin; a `Ref`, `GetAtt`, `Fn::Sub`, `ImportValue` or literal as
    /// written. No parameter's value is in it.
    pub fn written_form<'v>(&self, value: &'v Value) -> Cow<'v, Value> {
        match intrinsic_name(value) {
            None | Some("Ref" | "Fn::GetAtt" | "Fn::Sub" | "Fn::ImportValue") => {
                return Cow::Borrowed(value);
            }
            Some(_) => {}
        }
        match self.evaluate(value) {
            Evaluated::Known(known @ Value::String(_)) => Cow::Owned(known),
            Evaluated::Text(text) => Cow::Owned(match text.pieces.as_slice() {
                // Known here, written as itself (a FindInMap by region): as a `Fn::Sub` of it,
                // whose text the readers sample.
                [
                    Piece::Known {
                        written: Written::Expression(expression) | Written::Named(_, expression),
                        ..
                    },
                ] => crate::template::value::fn_sub(Value::Array(vec![
                    Value::String("${Value1}".to_owned()),
                    object([("Value1", expression.clone())]),
                ])),
                _ => text.to_value(),
            }),
            _ => Cow::Borrowed(value),
        }
    }

    /// What `value` evaluates to when the stack is deployed, as far as the request tells.
    pub fn evaluate(&self, value: &Value) -> Evaluated {
        self.evaluate_at(value, 0)
    }

    fn evaluate_at(&self, value: &Value, depth: usize) -> Evaluated {
        if depth > MAX_DEPTH {
            return Evaluated::Unknown;
        }
        match value {
            Value::Array(items) => Evaluated::list(
                items
                    .iter()
                    .map(|item| self.evaluate_at(item, depth + 1))
                    .filter(|item| *item != Evaluated::NoValue)
                    .collect(),
            ),
            Value::Object(members) => match intrinsic_name(value) {
                None => Evaluated::Known(value.clone()),
                Some(name) => {
                    let argument = members.values().next().expect("one member");
                    self.function(name, argument, value, depth + 1)
                }
            },
            other => Evaluated::Known(other.clone()),
        }
    }

    fn function(&self, name: &str, argument: &Value, whole: &Value, depth: usize) -> Evaluated {
        match (name, argument) {
            ("Ref", Value::String(target)) => self.reference(target),
            ("Fn::GetAtt", _) => self.get_att(argument, whole),
            ("Fn::ImportValue", _) => hole(Written::Expression(whole.clone())),
            ("Fn::Join", Value::Array(arguments)) => match arguments.as_slice() {
                [Value::String(delimiter), list] => self.join(delimiter, list, depth),
                _ => Evaluated::Unknown,
            },
            ("Fn::Sub", _) => self.sub(argument, depth),
            ("Fn::Select", Value::Array(arguments)) => match arguments.as_slice() {
                [index, list] => self.select(index, list, depth),
                _ => Evaluated::Unknown,
            },
            ("Fn::Split", Value::Array(arguments)) => match arguments.as_slice() {
                [Value::String(separator), source] if !separator.is_empty() => {
                    self.split(separator, source, depth)
                }
                _ => Evaluated::Unknown,
            },
            ("Fn::FindInMap", Value::Array(arguments)) => self.find_in_map(arguments, whole, depth),
            ("Fn::If", Value::Array(arguments)) => match arguments.as_slice() {
                [Value::String(condition), yes, no] => {
                    match self.condition_holds(condition, depth) {
                        Some(true) => self.evaluate_at(yes, depth),
                        Some(false) => self.evaluate_at(no, depth),
                        None => Evaluated::Unknown,
                    }
                }
                _ => Evaluated::Unknown,
            },
            _ => Evaluated::Unknown,
        }
    }

    /// `Fn::GetAtt`; an `AWS::S3::Bucket`'s `Arn` is `arn:${AWS::Partition}:s3:::` and its
    /// name, its `Ref` (S3's ARN format, "Amazon S3 resources" in the S3 user guide); an
    /// `AWS::ECR::Repository`'s is in the stack's region and account, its name its `Ref`.
    fn get_att(&self, argument: &Value, whole: &Value) -> Evaluated {
        let evaluated = get_att(argument, whole);
        let Evaluated::Text(text) = &evaluated else {
            return evaluated;
        };
        let [Piece::Hole(Written::Variable(name))] = text.pieces.as_slice() else {
            return evaluated;
        };
        let Some(resource) = name.strip_suffix(".Arn") else {
            return evaluated;
        };
        let pseudo = |name: &str| Piece::Known {
            value: self.sample_variable(name).unwrap_or_default().into_owned(),
            written: Written::Variable(name.to_owned()),
        };
        let mut arn = Text::literal("arn:");
        arn.push(pseudo("AWS::Partition"));
        match self.resource_type(resource) {
            Some("AWS::S3::Bucket") => arn.push(Piece::Literal(":s3:::".to_owned())),
            // A repository of the stack is in its region and account ("Amazon ECR resource
            // types": arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}).
            Some("AWS::ECR::Repository") => {
                arn.push(Piece::Literal(":ecr:".to_owned()));
                arn.push(pseudo("AWS::Region"));
                arn.push(Piece::Literal(":".to_owned()));
                arn.push(pseudo("AWS::AccountId"));
                arn.push(Piece::Literal(":repository/".to_owned()));
            }
            _ => return evaluated,
        }
        arn.push(Piece::Hole(Written::Variable(resource.to_owned())));
        Evaluated::Text(arn)
    }

    /// `Ref`: a pseudo parameter, a template parameter (a list for a list type), a resource.
    /// The piece a pseudo parameter is, without the list [`Self::reference`] makes.
    fn pseudo_parameter(&self, name: &str) -> Option<Piece> {
        let written = || Written::Variable(name.to_owned());
        match name {
            "AWS::Partition" | "AWS::Region" | "AWS::AccountId" | "AWS::URLSuffix" => {
                Some(Piece::Known {
                    value: self.sample_variable(name)?.into_owned(),
                    written: written(),
                })
            }
            "AWS::StackName" | "AWS::StackId" => Some(Piece::Hole(written())),
            _ => None,
        }
    }

    fn reference(&self, name: &str) -> Evaluated {
        match name {
            "AWS::NoValue" => Evaluated::NoValue,
            "AWS::Partition" | "AWS::Region" | "AWS::AccountId" | "AWS::URLSuffix" => {
                let value = self.sample_variable(name).unwrap_or_default();
                known(value, Written::Variable(name.to_owned()))
            }
            "AWS::StackName" | "AWS::StackId" => hole(Written::Variable(name.to_owned())),
            _ if self.is_parameter(name) => self.parameter(name),
            _ if self.resources.contains_key(name) => hole(Written::Variable(name.to_owned())),
            _ => Evaluated::Unknown,
        }
    }

    fn parameter(&self, name: &str) -> Evaluated {
        let kind = self
            .parameters
            .and_then(|parameters| parameters.get(name))
            .and_then(|declared| declared.get("Type"))
            .and_then(Value::as_str)
            .unwrap_or("String");
        let written = || Written::Variable(name.to_owned());
        let value = self.parameter_value(name);
        if !is_list_type(kind) {
            return match value {
                Some(Value::String(text)) => known(text, written()),
                Some(Value::Number(number)) => known(number.to_string(), written()),
                _ => hole(written()),
            };
        }
        let items: Vec<String> = match value {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(Value::String(text)) => text.split(',').map(str::to_owned).collect(),
            _ => return Evaluated::Unknown,
        };
        let reference = object([("Ref", Value::String(name.to_owned()))]);
        Evaluated::List(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    known(item, Written::Expression(select(index, reference.clone())))
                })
                .collect(),
        )
    }

    /// The items of a list argument, each with its written form where it is written out.
    fn items<'v>(
        &self,
        list: &'v Value,
        depth: usize,
    ) -> Option<Vec<(Evaluated, Option<&'v Value>)>> {
        if let Value::Array(items) = list {
            return Some(
                items
                    .iter()
                    .map(|item| (self.evaluate_at(item, depth), Some(item)))
                    .filter(|(item, _)| *item != Evaluated::NoValue)
                    .collect(),
            );
        }
        match self.evaluate_at(list, depth) {
            Evaluated::Known(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|item| (Evaluated::Known(item), None))
                    .collect(),
            ),
            Evaluated::List(items) => Some(items.into_iter().map(|item| (item, None)).collect()),
            _ => None,
        }
    }

    fn join(&self, delimiter: &str, list: &Value, depth: usize) -> Evaluated {
        let Some(items) = self.items(list, depth) else {
            return Evaluated::Unknown;
        };
        let mut text = Text::default();
        for (index, (item, written)) in items.into_iter().enumerate() {
            if index > 0 {
                text.push(Piece::Literal(delimiter.to_owned()));
            }
            let original = written.cloned().unwrap_or(Value::Null);
            match item.into_text(&original) {
                Some(piece) => text.extend(piece),
                None => return Evaluated::Unknown,
            }
        }
        text_or_known(text)
    }

    fn sub(&self, argument: &Value, depth: usize) -> Evaluated {
        let (template, variables) = match argument {
            Value::String(template) => (template, None),
            Value::Array(arguments) => match arguments.as_slice() {
                [Value::String(template), Value::Object(variables)] => (template, Some(variables)),
                _ => return Evaluated::Unknown,
            },
            _ => return Evaluated::Unknown,
        };
        // Room for the pieces of an ARN, so that the list is rarely grown.
        let mut text = Text {
            pieces: Vec::with_capacity(8),
        };
        for part in sub_parts(template) {
            match part {
                SubPart::Text(written) => text.push_literal(&unescape_sub_text(written)),
                SubPart::Variable(name) => {
                    // `${ Name }` names `Name`, as cfn-lint's resolver reads it.
                    let name = name.trim();
                    let bound = variables.and_then(|variables| variables.get(name));
                    if bound.is_none()
                        && let Some(piece) = self.pseudo_parameter(name)
                    {
                        text.push(piece);
                        continue;
                    }
                    let piece = match bound {
                        Some(value) => self
                            .evaluate_at(value, depth)
                            .into_text(value)
                            .map(|text| named(text, name)),
                        None if name.contains('.') => {
                            let dotted = Value::String(name.to_owned());
                            self.get_att(&dotted, &dotted).into_text(&Value::Null)
                        }
                        None => match self.reference(name) {
                            Evaluated::Text(piece) => Some(piece),
                            _ => Some(Text::hole(Written::Variable(name.to_owned()))),
                        },
                    };
                    match piece {
                        Some(piece) => text.extend(piece),
                        None => return Evaluated::Unknown,
                    }
                }
            }
        }
        text_or_known(text)
    }

    fn select(&self, index: &Value, list: &Value, depth: usize) -> Evaluated {
        let Some(index) = self
            .evaluate_at(index, depth)
            .sample()
            .and_then(|index| index.parse::<usize>().ok())
        else {
            return Evaluated::Unknown;
        };
        if let Value::Object(_) = list
            && let Evaluated::Leading(mut leading) = self.evaluate_at(list, depth)
        {
            return match index < leading.len() {
                true => leading.swap_remove(index),
                false => Evaluated::Unknown,
            };
        }
        let Some(mut items) = self.items(list, depth) else {
            return Evaluated::Unknown;
        };
        // Out of bounds, CloudFormation refuses the template.
        if index >= items.len() {
            return Evaluated::Unknown;
        }
        items.swap_remove(index).0
    }

    fn split(&self, separator: &str, source: &Value, depth: usize) -> Evaluated {
        let text = match self.evaluate_at(source, depth) {
            Evaluated::Known(Value::String(text)) => Text::literal(text),
            Evaluated::Text(text) => text,
            _ => return Evaluated::Unknown,
        };
        let Some(sample) = text.sample() else {
            return leading_items(&text, separator);
        };
        // Where each literal piece is in the sample: an item inside one is literal.
        let mut literal_spans = Vec::new();
        let mut at = 0;
        for piece in &text.pieces {
            let (Piece::Literal(part) | Piece::Known { value: part, .. }) = piece else {
                unreachable!("a text with a sample has no hole");
            };
            if matches!(piece, Piece::Literal(_)) {
                literal_spans.push(at..at + part.len());
            }
            at += part.len();
        }
        let whole = object([(
            "Fn::Split",
            Value::Array(vec![Value::String(separator.to_owned()), text.to_value()]),
        )]);
        let mut start = 0;
        let items = sample
            .split(separator)
            .enumerate()
            .map(|(index, item)| {
                let span = start..start + item.len();
                start = span.end + separator.len();
                let is_literal = literal_spans
                    .iter()
                    .any(|literal| literal.start <= span.start && span.end <= literal.end);
                if is_literal {
                    Evaluated::Known(Value::String(item.to_owned()))
                } else {
                    known(item, Written::Expression(select(index, whole.clone())))
                }
            })
            .collect();
        Evaluated::list(items)
    }

    fn find_in_map(&self, arguments: &[Value], whole: &Value, depth: usize) -> Evaluated {
        let (keys, default) = match arguments {
            [map, first, second] => ([map, first, second], None),
            [map, first, second, Value::Object(options)] => {
                ([map, first, second], options.get("DefaultValue"))
            }
            _ => return Evaluated::Unknown,
        };
        let mut names = Vec::with_capacity(3);
        let mut from_expressions = false;
        for key in keys {
            match self.evaluate_at(key, depth) {
                Evaluated::Known(Value::String(name)) => names.push(name),
                // A second key may be a number (cfn-lint's resolver takes an integer there).
                Evaluated::Known(Value::Number(number)) => names.push(number.to_string()),
                evaluated => {
                    let Some(name) = evaluated.sample() else {
                        return Evaluated::Unknown;
                    };
                    from_expressions = true;
                    names.push(name);
                }
            }
        }
        let found = self
            .mappings
            .and_then(|mappings| mappings.get(&names[0]))
            .and_then(|map| map.get(&names[1]))
            .and_then(|entry| entry.get(&names[2]));
        let value = match (found, default) {
            (Some(found), _) => self.evaluate_at(found, depth),
            (None, Some(default)) => self.evaluate_at(default, depth),
            // CloudFormation refuses a key the map lacks when there is no default.
            (None, None) => return Evaluated::Unknown,
        };
        if !from_expressions {
            return value;
        }
        // Chosen by a parameter or the region: written as the FindInMap, never as its value.
        match value {
            Evaluated::Known(Value::Array(items)) => Evaluated::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| match Evaluated::Known(item).sample() {
                        Some(item) => {
                            known(item, Written::Expression(select(index, whole.clone())))
                        }
                        None => Evaluated::Unknown,
                    })
                    .collect(),
            ),
            Evaluated::Known(_) | Evaluated::Text(_) => match value.sample() {
                Some(text) => known(text, Written::Expression(whole.clone())),
                None => hole(Written::Expression(whole.clone())),
            },
            other => other,
        }
    }

    /// Whether condition `name` holds, where known parameter values decide it.
    pub fn condition_holds(&self, name: &str, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let condition = self.conditions?.get(name)?;
        self.decide(condition, depth + 1)
    }

    fn decide(&self, condition: &Value, depth: usize) -> Option<bool> {
        let members = condition.as_object().filter(|members| members.len() == 1)?;
        let (name, argument) = members.iter().next()?;
        let arguments = argument.as_array();
        match name.as_str() {
            "Condition" => self.condition_holds(argument.as_str()?, depth),
            "Fn::Equals" => match arguments?.as_slice() {
                [a, b] => Some(
                    self.evaluate_at(a, depth).sample()? == self.evaluate_at(b, depth).sample()?,
                ),
                _ => None,
            },
            "Fn::Not" => match arguments?.as_slice() {
                [inner] => self.decide(inner, depth + 1).map(|holds| !holds),
                _ => None,
            },
            "Fn::And" | "Fn::Or" => {
                let all = name == "Fn::And";
                let mut undecided = false;
                for inner in arguments? {
                    match self.decide(inner, depth + 1) {
                        Some(holds) if holds != all => return Some(!all),
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                (!undecided).then_some(all)
            }
            _ => None,
        }
    }
}

/// `Fn::GetAtt` of a resource and a literal attribute is `${X.Attribute}`; any other is kept whole.
fn get_att(argument: &Value, whole: &Value) -> Evaluated {
    match argument {
        Value::String(dotted) if dotted.contains('.') => hole(Written::Variable(dotted.clone())),
        Value::Array(parts) => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] => {
                hole(Written::Variable(format!("{resource}.{attribute}")))
            }
            _ => hole(Written::Expression(whole.clone())),
        },
        _ => Evaluated::Unknown,
    }
}

/// A `Fn::Sub` variable's text: one expression keeps the variable's name when written back.
fn named(mut text: Text, name: &str) -> Text {
    if let [Piece::Known { written, .. } | Piece::Hole(written)] = text.pieces.as_mut_slice()
        && let Written::Expression(expression) = written
    {
        *written = Written::Named(name.to_owned(), std::mem::take(expression));
    }
    text
}

/// The items of `Fn::Split` of text with a hole that come before the hole (or before a known
/// piece holding the separator, which this does not cut): each the text of its own pieces.
fn leading_items(text: &Text, separator: &str) -> Evaluated {
    let mut items = Vec::new();
    let mut item = Text::default();
    for piece in &text.pieces {
        let literal = match piece {
            Piece::Literal(literal) => literal,
            Piece::Known { value, .. } if !value.contains(separator) => {
                item.push(piece.clone());
                continue;
            }
            _ => break,
        };
        let mut rest = literal.as_str();
        while let Some((before, after)) = rest.split_once(separator) {
            item.push(Piece::Literal(before.to_owned()));
            items.push(text_or_known(std::mem::take(&mut item)));
            rest = after;
        }
        item.push(Piece::Literal(rest.to_owned()));
    }
    Evaluated::Leading(items)
}

/// Text all literal is a known string.
fn text_or_known(text: Text) -> Evaluated {
    match text.as_literal() {
        Some(literal) => Evaluated::Known(Value::String(literal.to_owned())),
        None => Evaluated::Text(text),
    }
}
