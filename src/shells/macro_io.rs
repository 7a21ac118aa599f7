//! The CloudFormation macro request and response, and the answer to one request: the
//! Lambda's code path without the runtime. (aws_lambda_events has no macro types.)

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::expand::output::ExpandedTemplate;
use crate::expand::{ExpansionSummary, expand_with_summary};
use crate::template::context::ExpansionContext;

/// What CloudFormation sends a macro's function.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroRequest {
    pub region: String,
    pub account_id: String,
    /// The template, or the snippet, to transform; intrinsics in long JSON form.
    pub fragment: Value,
    pub transform_id: String,
    pub params: Value,
    pub request_id: String,
    pub template_parameter_values: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MacroStatus {
    Success,
    Failure,
}

/// What the macro's function answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroResponse {
    pub request_id: String,
    pub status: MacroStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<ExpandedTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl MacroResponse {
    pub fn failure(request_id: String, message: impl Into<String>) -> Self {
        Self {
            request_id,
            status: MacroStatus::Failure,
            fragment: None,
            error_message: Some(message.into()),
        }
    }
}

/// What the Lambda logs of one request: never the fragment nor any value in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    pub request_id: String,
    pub transform_id: String,
    pub expansion: ExpansionSummary,
    pub status: MacroStatus,
    /// How many problems a failure reported.
    pub problems: usize,
    /// False when the event itself could not be read as a macro request.
    pub request_read: bool,
    /// The places of the expansion's notes (an image pulled from any repository), no value.
    pub note_places: Vec<String>,
}

/// The fields a macro request must have, in the order CloudFormation writes them; the others
/// (`transformId`, `params`, `templateParameterValues`) may be absent.
pub const REQUIRED_FIELDS: [&str; 4] = ["region", "accountId", "fragment", "requestId"];

impl MacroRequest {
    /// Reads a request event. An error names every field missing or of the wrong type at
    /// once, never a value.
    pub fn from_event(event: Value) -> Result<Self, String> {
        let Value::Object(mut fields) = event else {
            return Err("the macro request is not a JSON object".to_owned());
        };
        let mut missing = Vec::new();
        let mut wrong = Vec::new();
        let mut text = |name: &'static str| match fields.remove(name) {
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                wrong.push(format!("the macro request's {name} is not a string"));
                None
            }
            None => {
                missing.push(name);
                None
            }
        };
        let region = text("region");
        let account_id = text("accountId");
        let request_id = text("requestId");
        // Only a log line reads it: absent or not a string, it is "".
        let transform_id = match fields.remove("transformId") {
            Some(Value::String(text)) => text,
            _ => String::new(),
        };
        let fragment = match fields.remove("fragment") {
            Some(fragment @ Value::Object(_)) => Some(fragment),
            Some(_) => {
                wrong.push("the macro request's fragment is not a JSON object".to_owned());
                None
            }
            None => {
                missing.push("fragment");
                None
            }
        };
        let template_parameter_values = match fields.remove("templateParameterValues") {
            Some(Value::Object(values)) => values,
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                wrong.push(
                    "the macro request's templateParameterValues is not a JSON object".to_owned(),
                );
                Map::new()
            }
        };
        missing.sort_by_key(|name| REQUIRED_FIELDS.iter().position(|field| field == name));
        let mut problems = Vec::new();
        if !missing.is_empty() {
            let missing: Vec<String> = missing.iter().map(|name| (*name).to_owned()).collect();
            problems.push(format!(
                "the macro request has no {}",
                crate::properties::fargate::join_alternatives(&missing)
            ));
        }
        problems.extend(wrong);
        match (region, account_id, fragment, request_id) {
            (Some(region), Some(account_id), Some(fragment), Some(request_id))
                if problems.is_empty() =>
            {
                Ok(Self {
                    region,
                    account_id,
                    fragment,
                    transform_id,
                    params: fields.remove("params").unwrap_or(Value::Null),
                    request_id,
                    template_parameter_values,
                })
            }
            _ => Err(problems.join("; ")),
        }
    }
}

/// Answers a request event as the Lambda receives it, as JSON text. serde_json reads at most
/// 128 levels of nesting: a deeper event is a `failure` that still echoes the request ID,
/// read without that limit (nothing else of the event is kept).
pub fn respond_to_text(text: &str) -> (MacroResponse, RequestSummary) {
    match read_event(text) {
        Ok(event) => respond_to_event(event),
        Err(unreadable) => unreadable.answer(),
    }
}

/// The first half of [`respond_to_text`]: the event read from its text. A caller that owns the
/// text frees it before [`respond_to_event`], so that a large event's text is not held beside its
/// tree while it is expanded.
pub fn read_event(text: &str) -> Result<Value, UnreadableEvent> {
    serde_json::from_str(text).map_err(|error| {
        let ids: EventIds = serde_json::from_str(text).unwrap_or_default();
        let why = if error.to_string().starts_with("recursion limit exceeded") {
            "it is nested more than 128 levels deep"
        } else {
            "it is not JSON"
        };
        UnreadableEvent {
            request_id: ids.request_id.0.unwrap_or_default(),
            transform_id: ids.transform_id.0.unwrap_or_default(),
            why,
        }
    })
}

/// An event whose text cannot be read as JSON: the IDs it still has, and why.
#[derive(Debug)]
pub struct UnreadableEvent {
    request_id: String,
    transform_id: String,
    why: &'static str,
}

impl UnreadableEvent {
    /// A `failure` that still echoes the request ID.
    pub fn answer(self) -> (MacroResponse, RequestSummary) {
        unreadable(self.request_id, self.transform_id, self.why)
    }
}

/// The IDs of an event that cannot be read whole.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventIds {
    #[serde(default)]
    request_id: TextOrIgnored,
    #[serde(default)]
    transform_id: TextOrIgnored,
}

/// A string, or any other value skipped without a depth limit.
#[derive(Default)]
struct TextOrIgnored(Option<String>);

impl<'de> Deserialize<'de> for TextOrIgnored {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Either::deserialize(deserializer)? {
            Either::Text(text) => Self(Some(text)),
            Either::Other => Self(None),
        })
    }
}

/// serde_json skips a value it is asked to ignore iteratively, at any depth.
enum Either {
    Text(String),
    Other,
}

impl<'de> Deserialize<'de> for Either {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EitherVisitor;
        impl<'de> serde::de::Visitor<'de> for EitherVisitor {
            type Value = Either;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E>(self, text: &str) -> Result<Either, E> {
                Ok(Either::Text(text.to_owned()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Either, E> {
                Ok(Either::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Either, E> {
                Ok(Either::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Either, E> {
                Ok(Either::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Either, E> {
                Ok(Either::Other)
            }
            fn visit_unit<E>(self) -> Result<Either, E> {
                Ok(Either::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Either, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Either::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Either, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Either::Other)
            }
        }
        deserializer.deserialize_any(EitherVisitor)
    }
}

/// Answers a request event: `success` with the expanded fragment, or `failure` with a
/// message; the request ID is echoed whenever the event has one. Never fails otherwise.
pub fn respond_to_event(event: Value) -> (MacroResponse, RequestSummary) {
    let request_id = event
        .get("requestId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let transform_id = event
        .get("transformId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match MacroRequest::from_event(event) {
        Ok(request) => respond(request),
        Err(why) => unreadable(request_id, transform_id, &why),
    }
}

/// The answer to an event that is not a macro request: a `failure` that still echoes its ID.
fn unreadable(
    request_id: String,
    transform_id: String,
    why: &str,
) -> (MacroResponse, RequestSummary) {
    let summary = RequestSummary {
        request_id: request_id.clone(),
        transform_id,
        expansion: ExpansionSummary::default(),
        status: MacroStatus::Failure,
        problems: 1,
        request_read: false,
        note_places: Vec::new(),
    };
    let message = format!("Buildkite-Agents could not read the request: {why}");
    (MacroResponse::failure(request_id, message), summary)
}

/// Answers a request. A panic in the expansion (a bug) still gives a `failure`
/// answer, because a Lambda error reaches the user only as a malformed response.
pub fn respond(request: MacroRequest) -> (MacroResponse, RequestSummary) {
    let MacroRequest {
        region,
        account_id,
        fragment,
        transform_id,
        request_id,
        template_parameter_values,
        ..
    } = request;
    let context = ExpansionContext {
        region,
        account_id,
        parameter_values: template_parameter_values,
        // CloudFormation sends the template without its Transform section.
        language_extensions_after: None,
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| expand_with_summary(fragment, &context)));
    let mut summary = RequestSummary {
        request_id: request_id.clone(),
        transform_id,
        expansion: ExpansionSummary::default(),
        status: MacroStatus::Success,
        problems: 0,
        request_read: true,
        note_places: Vec::new(),
    };
    let response = match outcome {
        Ok(Ok((fragment, expansion))) => {
            summary.expansion = expansion;
            summary.note_places = fragment
                .notes
                .iter()
                .map(|note| note.path.clone())
                .collect();
            MacroResponse {
                request_id,
                status: MacroStatus::Success,
                fragment: Some(fragment),
                error_message: None,
            }
        }
        Ok(Err(problems)) => {
            summary.status = MacroStatus::Failure;
            summary.problems = problems.len();
            MacroResponse::failure(request_id, problems.to_string())
        }
        Err(_) => {
            summary.status = MacroStatus::Failure;
            summary.problems = 1;
            MacroResponse::failure(
                request_id,
                "Buildkite-Agents failed unexpectedly on this template; please report it with the template",
            )
        }
    };
    (response, summary)
}
