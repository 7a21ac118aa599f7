//! A secret reference whose text the macro knows (a string, a `Ref` to a parameter with a
//! value, a `Fn::Sub` whose variables all have one), taken apart into its fields.

use crate::template::context::ExpansionContext;
use crate::template::scope::TemplateScope;
use crate::template::sub::has_variable_start;
use crate::template::sub::leading_fields;
use crate::template::sub::split_outside_variables;
use crate::template::sub::sub_arguments;
use crate::template::value::ref_target;
use std::borrow::Cow;
use std::sync::LazyLock;

use crate::template::sub::sub_piece;
use serde_json::{Map, Value, json};

/// A `ValueFrom` whose text the macro knows (a string, a `Ref` to a parameter with a value,
/// a `Fn::Sub` whose variables all have one), with that text.
pub(super) struct WrittenReference<'a> {
    /// The value in `Fn::Sub` syntax, with the variables of a list-form `Fn::Sub`.
    pub(super) template: Cow<'a, str>,
    pub(super) variables: Option<&'a Map<String, Value>>,
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

    pub(super) fn read(value_from: &'a Value, scope: &TemplateScope<'_>) -> Option<Self> {
        if let Value::String(text) = value_from {
            let template = if has_variable_start(text) {
                Cow::Owned(text.replace("${", "${!"))
            } else {
                Cow::Borrowed(text.as_str())
            };
            return Some(Self {
                template,
                variables: None,
                sample: Cow::Borrowed(text),
                subject: Subject::Literal(value_from),
            });
        }
        if let Some(name) = ref_target(value_from) {
            if !scope.is_parameter(name) {
                return None;
            }
            let sample = scope.sample_variable(name)?;
            return Some(Self {
                template: Cow::Owned(format!("${{{name}}}")),
                variables: None,
                subject: Subject::Parameter(name),
                sample: Cow::Owned(sample.into_owned()),
            });
        }
        let (template, variables) = sub_arguments(value_from)?;
        // Its text as CloudFormation computes it, where the request and the template tell all.
        let sample = scope.evaluate(value_from).sample()?;
        Some(Self {
            template: Cow::Borrowed(template),
            variables,
            sample: Cow::Owned(sample),
            subject: Subject::Sub,
        })
    }

    /// The fields of the template split at colons outside `${...}`, when they line up
    /// with the fields of the sample.
    pub(super) fn fields<'w>(
        &'w self,
        value: &'w Value,
        context: &'w ExpansionContext,
    ) -> WrittenFields<'w> {
        let fields = split_outside_variables(&self.template, b':', usize::MAX);
        WrittenFields {
            context,
            value,
            template: &self.template,
            fields: (fields.len() == fields_of(&self.sample)).then_some(fields),
            variables: self.variables,
        }
    }
}

/// The fields of a [`WrittenReference`], split once for every field read from them.
pub(super) struct WrittenFields<'w> {
    pub(super) context: &'w ExpansionContext,
    /// The value as written, which CloudFormation splits where the template cannot be.
    pub(super) value: &'w Value,
    pub(super) template: &'w str,
    /// `None` when the template's fields do not line up with its sample's.
    pub(super) fields: Option<Vec<&'w str>>,
    pub(super) variables: Option<&'w Map<String, Value>>,
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
            Some(field) => stack_field(field, self.variables, own, stack),
            None => Cow::Owned(json!({"Fn::Select": [index, {"Fn::Split": [":", self.value]}]})),
        }
    }

    pub(super) fn leading(&self, count: usize) -> Option<Value> {
        let fields = self.fields.as_ref()?;
        let leading = leading_fields(self.template, fields.get(..count)?, count);
        Some(sub_piece(leading, self.variables))
    }
}

/// How many colon-separated fields `text` has.
pub(super) fn fields_of(text: &str) -> usize {
    text.bytes().filter(|&byte| byte == b':').count() + 1
}

/// An ARN's region or account field (`template`) as a grant holds it: the stack's own, `own`
/// (the pseudo parameter and its value in this request) written alone (`${AWS::Region}`) or
/// literally (`us-east-1`), is `stack`, borrowed, so that a key or service the grants share is
/// written once; any other field as [`sub_piece`] makes it.
pub(super) fn stack_field(
    template: &str,
    variables: Option<&Map<String, Value>>,
    (pseudo, value): (&str, &str),
    stack: &'static Value,
) -> Cow<'static, Value> {
    let names_pseudo = template
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        == Some(pseudo);
    if (names_pseudo && !variables.is_some_and(|variables| variables.contains_key(pseudo)))
        || template == value
    {
        Cow::Borrowed(stack)
    } else {
        Cow::Owned(sub_piece(template, variables))
    }
}

/// `{"Ref": "AWS::Region"}` and `{"Ref": "AWS::AccountId"}`, the region and account of most
/// grants, built once: a copy costs less than building a map and hashing its key again.
pub(super) static STACK_REGION: LazyLock<Value> = LazyLock::new(|| json!({"Ref": "AWS::Region"}));
pub(super) static STACK_ACCOUNT: LazyLock<Value> =
    LazyLock::new(|| json!({"Ref": "AWS::AccountId"}));
