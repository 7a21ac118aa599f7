//! A secret reference whose text the macro knows (a string, a `Ref` to a parameter with a
//! value, a `Fn::Sub` whose variables all have one), taken apart into its fields: the
//! evaluator's text, cut at its colons outside what parameters and pseudo parameters hold.

use crate::template::context::ExpansionContext;
use crate::template::evaluate::{Evaluated, Piece, Text, Written};
use crate::template::scope::TemplateScope;
use crate::template::sub::sub_arguments;
use crate::template::value::ref_target;
use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Value, json};

/// A `ValueFrom` whose text the macro knows (a string, a `Ref` to a parameter with a value,
/// a `Fn::Sub` whose variables all have one), with that text.
pub(super) struct WrittenReference<'a> {
    /// The value as the evaluator reads it: its literal text, and the parameters and pseudo
    /// parameters it holds, each written back as itself; `None` for a string, which is its
    /// sample (borrowed: most references are written out).
    pub(super) text: Option<Text>,
    pub(super) sample: Cow<'a, str>,
    /// How messages name it, worded only when a message is written.
    pub(super) subject: Subject<'a>,
}

/// What a [`WrittenReference`] was written as, for messages.
pub(super) enum Subject<'a> {
    /// A string: messages show it.
    Literal(&'a Value),
    /// A `Ref` to this parameter: messages name it, never its value.
    Parameter(&'a str),
    /// A `Fn::Sub`.
    Sub,
}

/// What a secret reference evaluates to, as far as the readers go.
pub(super) enum ReadText<'a> {
    /// All of its text is known here.
    Known(WrittenReference<'a>),
    /// A `Fn::Sub` with holes a deploy fills: its text.
    WithHoles(Text),
    /// Neither: a `Ref` to a resource or a parameter without a value, another function.
    Other,
}

impl<'a> WrittenReference<'a> {
    /// How messages name it: the literal, "the value of parameter P" or "the !Sub".
    pub(super) fn subject(&self) -> String {
        match self.subject {
            Subject::Literal(value) => crate::template::problems::show_literal(value),
            Subject::Parameter(name) => format!(
                "the value of parameter {name}{}",
                crate::template::problems::whitespace_note(&self.sample)
            ),
            Subject::Sub => "the !Sub".to_owned(),
        }
    }

    /// The fields of the text cut at colons outside what parameters hold, when they line up
    /// with the fields of the sample.
    pub(super) fn fields<'w>(
        &'w self,
        value: &'w Value,
        context: &'w ExpansionContext,
    ) -> WrittenFields<'w> {
        let fields = match &self.text {
            Some(text) => Some(Fields::Computed(text))
                .filter(|fields| fields.len() == fields_of(&self.sample)),
            // A string's fields are slices of it.
            None => Some(Fields::Written(self.sample.split(':').collect())),
        };
        WrittenFields {
            context,
            value,
            fields,
        }
    }
}

/// `value_from` as the evaluator reads it: a string, a `Ref` to a parameter, a `Fn::Sub`.
pub(super) fn read_text<'a>(value_from: &'a Value, scope: &TemplateScope<'_>) -> ReadText<'a> {
    if let Value::String(text) = value_from {
        return ReadText::Known(WrittenReference {
            text: None,
            sample: Cow::Borrowed(text),
            subject: Subject::Literal(value_from),
        });
    }
    let subject = match ref_target(value_from) {
        Some(name) if scope.is_parameter(name) => Subject::Parameter(name),
        Some(_) => return ReadText::Other,
        None if sub_arguments(value_from).is_some() => Subject::Sub,
        None => return ReadText::Other,
    };
    let text = match scope.evaluate(value_from) {
        Evaluated::Known(Value::String(text)) => Text::literal(text),
        Evaluated::Text(text) => text,
        _ => return ReadText::Other,
    };
    match text.sample() {
        Some(sample) => ReadText::Known(WrittenReference {
            text: Some(text),
            sample: Cow::Owned(sample),
            subject,
        }),
        None if matches!(subject, Subject::Sub) => ReadText::WithHoles(text),
        None => ReadText::Other,
    }
}

/// The fields of a [`WrittenReference`], split once for every field read from them.
pub(super) struct WrittenFields<'w> {
    pub(super) context: &'w ExpansionContext,
    /// The value as written, which CloudFormation splits where the text cannot be.
    pub(super) value: &'w Value,
    /// `None` when the text's fields do not line up with its sample's.
    pub(super) fields: Option<Fields<'w>>,
}

/// The fields of a string, or of text computed by a function.
pub(super) enum Fields<'w> {
    Written(Vec<&'w str>),
    /// Cut where a field is read: most readers read two of them.
    Computed(&'w Text),
}

impl Fields<'_> {
    fn len(&self) -> usize {
        match self {
            Fields::Written(fields) => fields.len(),
            Fields::Computed(text) => {
                let colons = text.pieces.iter().map(|piece| match piece {
                    Piece::Literal(literal) => literal.bytes().filter(|&b| b == b':').count(),
                    _ => 0,
                });
                colons.sum::<usize>() + 1
            }
        }
    }
}

impl WrittenFields<'_> {
    /// The region field (3), as a grant holds it.
    pub(super) fn region(&self) -> Cow<'static, Value> {
        self.stack_field(3, ("AWS::Region", &self.context.region), &STACK_REGION)
    }

    /// The account field (4), as a grant holds it.
    pub(super) fn account(&self) -> Cow<'static, Value> {
        self.stack_field(
            4,
            ("AWS::AccountId", &self.context.account_id),
            &STACK_ACCOUNT,
        )
    }

    /// Field `index` as [`stack_field`] makes it; where the written fields do not line up with
    /// the value's (a parameter holding the whole ARN), field `index` of the value as
    /// CloudFormation computes it, as an image parameter's registry is.
    pub(super) fn stack_field(
        &self,
        index: usize,
        own: (&str, &str),
        stack: &'static Value,
    ) -> Cow<'static, Value> {
        match &self.fields {
            Some(Fields::Written(fields)) if index < fields.len() => match fields[index] {
                field if field == own.1 => Cow::Borrowed(stack),
                field => Cow::Owned(Value::String(field.to_owned())),
            },
            Some(fields @ Fields::Computed(text)) if index < fields.len() => {
                stack_field(&fields_of_text(text, index + 1, index), own, stack)
            }
            _ => Cow::Owned(json!({"Fn::Select": [index, {"Fn::Split": [":", self.value]}]})),
        }
    }

    /// The first `count` fields, with the colons between them, as a value.
    pub(super) fn leading(&self, count: usize) -> Option<Value> {
        match self.fields.as_ref()? {
            Fields::Written(fields) => Some(Value::String(fields.get(..count)?.join(":"))),
            fields @ Fields::Computed(text) => {
                (count <= fields.len()).then(|| fields_of_text(text, count, 0).to_value())
            }
        }
    }
}

/// Fields `from` to `until` (not included) of `text` cut at its literal colons, with the
/// colons between them.
pub(super) fn fields_of_text(text: &Text, until: usize, from: usize) -> Text {
    let mut field = 0;
    let mut taken = Text::default();
    for piece in &text.pieces {
        let Piece::Literal(literal) = piece else {
            if (from..until).contains(&field) {
                taken.push(piece.clone());
            }
            continue;
        };
        for (index, part) in literal.split(':').enumerate() {
            if index > 0 {
                field += 1;
                if field > from && field < until {
                    taken.push_literal(":");
                }
            }
            if (from..until).contains(&field) {
                taken.push_literal(part);
            }
        }
    }
    taken
}

/// How many colon-separated fields `text` has.
pub(super) fn fields_of(text: &str) -> usize {
    text.bytes().filter(|&byte| byte == b':').count() + 1
}

/// An ARN's region or account field as a grant holds it: the stack's own, `own` (the pseudo
/// parameter and its value in this request) written alone (`${AWS::Region}`), literally
/// (`us-east-1`) or as a parameter holding it here, is `stack`, borrowed, so that a key or
/// service the grants share is written once (the macro runs again when a parameter changes);
/// any other field as the simplest value that yields it.
pub(super) fn stack_field(
    field: &Text,
    (pseudo, value): (&str, &str),
    stack: &'static Value,
) -> Cow<'static, Value> {
    let names_pseudo = matches!(
        field.pieces.as_slice(),
        [Piece::Known { written: Written::Variable(name), .. }] if name == pseudo
    );
    if names_pseudo || computes_to(field, value) {
        Cow::Borrowed(stack)
    } else {
        Cow::Owned(field.to_value())
    }
}

/// `{"Ref": "AWS::Region"}` and `{"Ref": "AWS::AccountId"}`, the region and account of most
/// grants, built once: a copy costs less than building a map and hashing its key again.
pub(super) static STACK_REGION: LazyLock<Value> = LazyLock::new(|| json!({"Ref": "AWS::Region"}));
pub(super) static STACK_ACCOUNT: LazyLock<Value> =
    LazyLock::new(|| json!({"Ref": "AWS::AccountId"}));

/// Whether `text` computes to `expected` here, compared piece by piece without writing it.
fn computes_to(text: &Text, expected: &str) -> bool {
    let mut rest = expected;
    for piece in &text.pieces {
        let (Piece::Literal(part) | Piece::Known { value: part, .. }) = piece else {
            return false;
        };
        match rest.strip_prefix(part.as_str()) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::secrets::reading::grant_for;
    use crate::template::scope::TemplateScope;

    #[test]
    fn fields_are_cut_at_literal_colons_only() {
        let mut text = Text::literal("arn:");
        text.push(Piece::Hole(Written::Variable("P".into())));
        text.push_literal(":ssm:eu-west-1:");
        text.push(Piece::Known {
            value: "a:b".into(),
            written: Written::Variable("Account".into()),
        });
        text.push_literal(":parameter/x");
        let field = |until, from| fields_of_text(&text, until, from).to_value();
        assert_eq!(field(4, 3), json!("eu-west-1"));
        assert_eq!(
            field(5, 4),
            json!({"Ref": "Account"}),
            "a known piece is not cut"
        );
        assert_eq!(field(3, 0), json!({"Fn::Sub": "arn:${P}:ssm"}));
        assert_eq!(
            fields_of_text(&text, 9, 6).pieces,
            vec![],
            "past the last field"
        );
    }

    #[test]
    fn a_region_or_account_that_is_the_stacks_here_is_written_as_the_stacks() {
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        context
            .parameter_values
            .insert("Here".into(), json!("us-east-1"));
        let parameters = json!({"Here": {"Type": "String"}, "Elsewhere": {"Type": "String", "Default": "eu-west-1"}, "Account": {"Type": "String", "Default": "123456789012"}});
        let no_resources = serde_json::Map::new();
        let scope = TemplateScope::new(&context, parameters.as_object(), &no_resources);
        let read = |template: &str| {
            let grant = grant_for(&json!({"Fn::Sub": template}), &scope).unwrap();
            (grant.region.into_owned(), grant.account.into_owned())
        };
        // One key and one service for these and the stack's own secrets, not one each.
        assert_eq!(
            read("arn:${AWS::Partition}:ssm:${Here}:${Account}:parameter/a"),
            (STACK_REGION.clone(), STACK_ACCOUNT.clone())
        );
        assert_eq!(
            read("arn:${AWS::Partition}:ssm:${Elsewhere}:${AWS::AccountId}:parameter/a"),
            (json!({"Ref": "Elsewhere"}), STACK_ACCOUNT.clone()),
            "another region is written as its parameter, never its value"
        );
    }
}
