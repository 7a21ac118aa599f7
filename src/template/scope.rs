//! What a property value stands for when it is checked: the template around it (its
//! parameters, resources and the request context) and the value it resolves to.

use crate::template::context::ExpansionContext;
use crate::template::value::intrinsic_name;
use crate::template::value::ref_target;
use crate::template::value::resource_member;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a property value stands for when a check or a decision needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// Written in the template.
    Literal(&'a Value),
    /// A `Ref` to a template parameter with a known value: usable for checks, never
    /// to be echoed in a message nor written to the output.
    Parameter { name: &'a str, value: Value },
    /// `{"Ref": "AWS::NoValue"}`: as if the property were not there.
    NoValue,
    /// Any other intrinsic: known only when the stack is deployed.
    Unknown,
}

impl<'a> Resolved<'a> {
    /// The value to check, wherever it came from.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Resolved::Literal(value) => Some(value),
            Resolved::Parameter { value, .. } => Some(value),
            Resolved::NoValue | Resolved::Unknown => None,
        }
    }

    /// How a message names this value: the literal itself, or the parameter by name.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Literal(value) => crate::template::problems::show_literal(value),
            Resolved::Parameter { name, value } => format!(
                "the value of parameter {name}{}",
                value
                    .as_str()
                    .map(crate::template::problems::whitespace_note)
                    .unwrap_or_default()
            ),
            Resolved::NoValue => "AWS::NoValue".to_owned(),
            Resolved::Unknown => "an intrinsic function".to_owned(),
        }
    }

    /// A string value or a parameter holding one; `""` included.
    pub fn as_str(&self) -> Option<&str> {
        self.value().and_then(Value::as_str)
    }

    /// True when the value is known to be empty (`""`), which optional properties read
    /// as "not set".
    pub fn is_empty_string(&self) -> bool {
        self.as_str().is_some_and(str::is_empty)
    }

    /// True when an optional property with this value counts as absent: `AWS::NoValue`, or
    /// `""` written or as a parameter's value.
    pub fn is_unset(&self) -> bool {
        matches!(self, Resolved::NoValue) || self.is_empty_string()
    }
}

/// The template around the values being read: its parameters and resources, and the
/// request's context.
pub struct TemplateScope<'a> {
    pub context: &'a ExpansionContext,
    pub parameters: Option<&'a Map<String, Value>>,
    pub resources: &'a Map<String, Value>,
    /// The template's `Mappings`, for `Fn::FindInMap`.
    pub mappings: Option<&'a Map<String, Value>>,
    /// The template's `Conditions`, decided where known parameter values decide them.
    pub conditions: Option<&'a Map<String, Value>>,
}

impl<'a> TemplateScope<'a> {
    /// A scope of parameters and resources only: no `Mappings` to look up and no `Conditions`
    /// to decide (what reference rewriting, LanguageExtensions and most tests need).
    pub fn new(
        context: &'a ExpansionContext,
        parameters: Option<&'a Map<String, Value>>,
        resources: &'a Map<String, Value>,
    ) -> Self {
        TemplateScope {
            context,
            parameters,
            resources,
            mappings: None,
            conditions: None,
        }
    }

    pub fn resolve<'v>(&self, value: &'v Value) -> Resolved<'v> {
        match intrinsic_name(value) {
            None => Resolved::Literal(value),
            Some(_) => match ref_target(value) {
                Some("AWS::NoValue") => Resolved::NoValue,
                Some(name) => match self.parameter_value(name) {
                    Some(known) => Resolved::Parameter { name, value: known },
                    None => Resolved::Unknown,
                },
                None => Resolved::Unknown,
            },
        }
    }

    /// A parameter's value from the request, else its `Default` in the template (never for a
    /// Parameter Store type, whose `Default` is a Parameter Store name, not the value).
    pub fn parameter_value(&self, name: &str) -> Option<Value> {
        self.declared_parameter_value(name).cloned()
    }

    fn declared_parameter_value(&self, name: &str) -> Option<&'a Value> {
        let declared = self.parameters?.get(name)?;
        let given = self.context.parameter_values.get(name);
        if is_parameter_store_type(declared) {
            // CloudFormation resolves the name and sends the macro the value it holds.
            return given;
        }
        given.or_else(|| declared.get("Default"))
    }

    /// Whether parameter `name` is declared with a Parameter Store type
    /// (`AWS::SSM::Parameter::Value<...>`).
    pub fn is_parameter_store_parameter(&self, name: &str) -> bool {
        self.parameters
            .and_then(|parameters| parameters.get(name))
            .is_some_and(is_parameter_store_type)
    }

    /// How to give parameter `name`, which has no value here, one: a Parameter Store type's
    /// `Default` is the name of the parameter holding the value, so only a given value helps.
    pub fn how_to_give_value(&self, name: &str) -> String {
        if self.is_parameter_store_parameter(name) {
            format!(
                "give expand the value it holds (--parameter {name}=...): it is a Parameter Store type, whose Default names where CloudFormation reads the value from, and CloudFormation passes the macro that value"
            )
        } else {
            format!("give the parameter a Default (or a value: expand --parameter {name}=...)")
        }
    }

    pub fn is_parameter(&self, name: &str) -> bool {
        self.parameters.is_some_and(|p| p.contains_key(name))
    }

    pub fn resource_type(&self, name: &str) -> Option<&'a str> {
        resource_member(self.resources.get(name)?, "Type")?.as_str()
    }

    /// The value a `${Name}` of a `Fn::Sub` stands for, as far as checks may know it:
    /// pseudo parameters from the request, template parameters from their values.
    /// Borrowed from the request or the template, except a number's text.
    pub fn sample_variable(&self, name: &str) -> Option<Cow<'a, str>> {
        let context = self.context;
        match name {
            "AWS::Partition" => Some(Cow::Borrowed(context.partition())),
            "AWS::Region" => Some(Cow::Borrowed(&context.region)),
            "AWS::AccountId" => Some(Cow::Borrowed(&context.account_id)),
            "AWS::URLSuffix" => Some(Cow::Borrowed(context.url_suffix())),
            _ => match self.declared_parameter_value(name)? {
                Value::String(text) => Some(Cow::Borrowed(text)),
                Value::Number(number) => Some(Cow::Owned(number.to_string())),
                _ => None,
            },
        }
    }
}

/// Whether a declared parameter's `Type` is `AWS::SSM::Parameter::Value<...>`: its value is a
/// Parameter Store name, which CloudFormation resolves to the value the parameter holds.
fn is_parameter_store_type(declared: &Value) -> bool {
    declared
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.starts_with("AWS::SSM::Parameter::Value<"))
}
