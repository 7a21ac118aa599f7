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
    /// parameters it holds, each written back as itself.
    pub(super) text: Text,
    pub(super) sample: String,
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
        let fields = self.text.split(':', usize::MAX);
        WrittenFields {
            context,
            value,
            fields: (fields.len() == fields_of(&self.sample)).then_some(fields),
        }
    }
}

/// `value_from` as the evaluator reads it: a string, a `Ref` to a parameter, a `Fn::Sub`.
pub(super) fn read_text<'a>(value_from: &'a Value, scope: &TemplateScope<'_>) -> ReadText<'a> {
    if let Value::String(text) = value_from {
        return ReadText::Known(WrittenReference {
            text: Text::literal(text.as_str()),
            sample: text.clone(),
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
            text,
            sample,
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
    pub(super) fields: Option<Vec<Text>>,
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
        match self.fields.as_ref().and_then(|fields| fields.get(index)) {
            Some(field) => stack_field(field, own, stack),
            None => Cow::Owned(json!({"Fn::Select": [index, {"Fn::Split": [":", self.value]}]})),
        }
    }

    /// The first `count` fields, with the colons between them, as a value.
    pub(super) fn leading(&self, count: usize) -> Option<Value> {
        Some(leading(self.fields.as_ref()?.get(..count)?).to_value())
    }
}

/// `fields` joined again by the colons they were cut at.
pub(super) fn leading(fields: &[Text]) -> Text {
    let mut joined = Text::default();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            joined.push_literal(":");
        }
        joined.extend(field.clone());
    }
    joined
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
    if names_pseudo || field.sample().as_deref() == Some(value) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::secrets::reading::grant_for;
    use crate::template::scope::TemplateScope;

    #[test]
    fn a_region_or_account_that_is_the_stacks_here_is_written_as_the_stacks() {
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        context
            .parameter_values
            .insert("Here".into(), json!("us-east-1"));
        let parameters = json!({"Here": {"Type": "String"}, "Elsewhere": {"Type": "String", "Default": "eu-west-1"}, "Account": {"Type": "String", "Default": "123456789012"}});
        let scope = TemplateScope {
            context: &context,
            parameters: parameters.as_object(),
            resources: &serde_json::Map::new(),
            mappings: None,
            conditions: None,
        };
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
