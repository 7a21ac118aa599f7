//! IAM's quota on a role's inline policies: together at most 10,240 characters, white space not
//! counted. The macro writes exact grants, one ARN per secret, repository or file, so a task that
//! names very many can pass cfn-lint and still be refused by IAM at deploy. The size is only known
//! once CloudFormation has filled in the functions, so the macro counts the least it can be and
//! refuses only what is sure to be over.

use serde::Serialize;
use serde::ser::{
    SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};
use serde_json::Value;

use crate::problems::Problems;
use crate::resources::{GeneratedResource, Properties, Resource, RolePolicy};
use crate::value::intrinsic_name;

/// IAM's limit on the inline policies of one role, summed ("Role policy size").
pub const ROLE_POLICY_CHARACTERS: usize = 10_240;

/// The fewest characters each pseudo parameter can stand for.
const SHORTEST_PSEUDO: [(&str, usize); 4] = [
    ("AWS::Partition", "aws".len()),
    ("AWS::Region", "us-east-1".len()),
    ("AWS::AccountId", 12),
    ("AWS::URLSuffix", "amazonaws.com".len()),
];

/// Refuses a generated role (`resources`, as generated for `logical_id`) whose inline policies
/// are sure to be over IAM's limit.
pub fn check_role_policy_sizes(
    logical_id: &str,
    resources: &[(String, GeneratedResource)],
    problems: &mut Problems,
) {
    for (id, resource) in resources {
        let least = match resource {
            GeneratedResource::Typed(Resource {
                properties: Properties::Role(role),
                ..
            }) => role.policies.iter().map(least_role_policy_characters).sum(),
            GeneratedResource::Joined(value)
                if value.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role") =>
            {
                match value.pointer("/Properties/Policies") {
                    Some(policies) => least_policy_characters(policies),
                    None => continue,
                }
            }
            _ => continue,
        };
        if least > ROLE_POLICY_CHARACTERS {
            problems.push(
                format!("Resources.{logical_id}"),
                format!(
                    "expands to {id}, whose inline policies come to at least {least} characters, over the {ROLE_POLICY_CHARACTERS} IAM allows a role: split the secrets, images or files across more resources, or give a role of your own (ExecutionRoleArn, TaskRoleArn)"
                ),
            );
        }
    }
}

fn least_role_policy_characters(policy: &RolePolicy) -> usize {
    match policy {
        RolePolicy::Inline(policy) => least_characters(&policy.document()),
        RolePolicy::Written(policy) => least_policy_characters(policy),
    }
}

/// The fewest characters of the policy documents in `policies` (a role's `Policies` list, any
/// entry possibly under `Fn::If`), white space outside strings not counted, as IAM counts.
fn least_policy_characters(policies: &Value) -> usize {
    match policies {
        Value::Array(entries) => entries.iter().map(least_policy_characters).sum(),
        Value::Object(_) if intrinsic_name(policies) == Some("Fn::If") => branches(policies)
            .map_or(0, |(a, b)| {
                least_policy_characters(a).min(least_policy_characters(b))
            }),
        Value::Object(policy) => policy.get("PolicyDocument").map_or(0, least_characters),
        _ => 0,
    }
}

fn branches(value: &Value) -> Option<(&Value, &Value)> {
    match value.get("Fn::If")?.as_array()?.as_slice() {
        [_, a, b] => Some((a, b)),
        _ => None,
    }
}

/// The fewest characters `value` can be once CloudFormation has evaluated it, written as compact
/// JSON: a function whose result it cannot bound counts as nothing. It is counted as it is
/// serialised, typed or a `Value` alike, without writing it.
fn least_characters<T: Serialize + ?Sized>(value: &T) -> usize {
    value.serialize(Least).ok().flatten().unwrap_or(0)
}

/// What [`least_characters`] counts a function as: `None` for `{"Ref": "AWS::NoValue"}`, which
/// the list or object holding it drops.
fn least_function_characters(name: &str, argument: &Value) -> Count {
    match name {
        "Fn::Sub" => Some(least_sub_characters(argument) + 2),
        "Fn::If" => Some(match argument.as_array().map(Vec::as_slice) {
            Some([_, a, b]) => least_characters(a).min(least_characters(b)),
            _ => 0,
        }),
        "Ref" if argument.as_str() == Some("AWS::NoValue") => None,
        _ => Some(0),
    }
}

/// The fewest characters of what was serialised, `None` for a value CloudFormation removes.
type Count = Option<usize>;

/// A serializer that counts characters (see [`least_characters`]) instead of writing them.
struct Least;

/// Counts a list's entries, leaving out those CloudFormation removes.
struct LeastList {
    characters: usize,
    entries: usize,
}

impl LeastList {
    fn add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        if let Some(characters) = value.serialize(Least)? {
            self.characters += characters;
            self.entries += 1;
        }
        Ok(())
    }

    /// `[a,b]` or `{"k":a,"l":b}`: the brackets and the commas between the entries.
    fn total(&self) -> Count {
        Some(2 + self.characters + self.entries.saturating_sub(1))
    }
}

/// Counts an object's members; an object of one member that is a function, as that function.
struct LeastObject {
    list: LeastList,
    /// `Some` for an object of one member, whose key may name a function.
    single_key: Option<String>,
    function: Option<Count>,
}

impl LeastObject {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        if let Some(characters) = value.serialize(Least)? {
            self.list.characters += key.len() + 3 + characters;
            self.list.entries += 1;
        }
        Ok(())
    }
}

fn digits(mut number: u64) -> usize {
    let mut digits = 1;
    while number >= 10 {
        number /= 10;
        digits += 1;
    }
    digits
}

fn signed_digits(number: i64) -> usize {
    digits(number.unsigned_abs()) + usize::from(number < 0)
}

impl Serializer for Least {
    type Ok = Count;
    type Error = serde_json::Error;
    type SerializeSeq = LeastList;
    type SerializeTuple = LeastList;
    type SerializeTupleStruct = LeastList;
    type SerializeTupleVariant = LeastList;
    type SerializeMap = LeastObject;
    type SerializeStruct = LeastObject;
    type SerializeStructVariant = LeastObject;

    fn serialize_bool(self, value: bool) -> Result<Count, Self::Error> {
        Ok(Some(if value { 4 } else { 5 }))
    }
    fn serialize_i8(self, value: i8) -> Result<Count, Self::Error> {
        Ok(Some(signed_digits(value.into())))
    }
    fn serialize_i16(self, value: i16) -> Result<Count, Self::Error> {
        Ok(Some(signed_digits(value.into())))
    }
    fn serialize_i32(self, value: i32) -> Result<Count, Self::Error> {
        Ok(Some(signed_digits(value.into())))
    }
    fn serialize_i64(self, value: i64) -> Result<Count, Self::Error> {
        Ok(Some(signed_digits(value)))
    }
    fn serialize_u8(self, value: u8) -> Result<Count, Self::Error> {
        Ok(Some(digits(value.into())))
    }
    fn serialize_u16(self, value: u16) -> Result<Count, Self::Error> {
        Ok(Some(digits(value.into())))
    }
    fn serialize_u32(self, value: u32) -> Result<Count, Self::Error> {
        Ok(Some(digits(value.into())))
    }
    fn serialize_u64(self, value: u64) -> Result<Count, Self::Error> {
        Ok(Some(digits(value)))
    }
    fn serialize_f32(self, value: f32) -> Result<Count, Self::Error> {
        self.serialize_f64(value.into())
    }
    fn serialize_f64(self, value: f64) -> Result<Count, Self::Error> {
        Ok(Some(Value::from(value).to_string().len()))
    }
    fn serialize_char(self, value: char) -> Result<Count, Self::Error> {
        Ok(Some(value.len_utf8() + 2))
    }
    fn serialize_str(self, value: &str) -> Result<Count, Self::Error> {
        Ok(Some(value.len() + 2))
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<Count, Self::Error> {
        let mut list = LeastList {
            characters: 0,
            entries: 0,
        };
        for byte in value {
            list.add(byte)?;
        }
        Ok(list.total())
    }
    fn serialize_none(self) -> Result<Count, Self::Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Count, Self::Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Count, Self::Error> {
        Ok(Some("null".len()))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Count, Self::Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Count, Self::Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Count, Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Count, Self::Error> {
        let mut object = self.serialize_map(Some(1))?;
        object.member(variant, value)?;
        Ok(object.list.total())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<LeastList, Self::Error> {
        Ok(LeastList {
            characters: 0,
            entries: 0,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<LeastList, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<LeastList, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<LeastList, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<LeastObject, Self::Error> {
        Ok(LeastObject {
            list: LeastList {
                characters: 0,
                entries: 0,
            },
            single_key: (len == Some(1)).then(String::new),
            function: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<LeastObject, Self::Error> {
        // A struct of the macro's is never a function.
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<LeastObject, Self::Error> {
        self.serialize_map(None)
    }
}

impl SerializeSeq for LeastList {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.total())
    }
}

impl SerializeTuple for LeastList {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.total())
    }
}

impl SerializeTupleStruct for LeastList {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.total())
    }
}

impl SerializeTupleVariant for LeastList {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.total())
    }
}

impl SerializeMap for LeastObject {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Self::Error> {
        unreachable!(
            "members are counted by serialize_entry, which needs the key and value together"
        )
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Self::Error> {
        unreachable!(
            "members are counted by serialize_entry, which needs the key and value together"
        )
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Self::Error> {
        let Value::String(key) = serde_json::to_value(key)? else {
            return Err(serde::ser::Error::custom("an object key is text"));
        };
        if self.single_key.is_some() && (key == "Ref" || key.starts_with("Fn::")) {
            let argument = serde_json::to_value(value)?;
            self.function = Some(least_function_characters(&key, &argument));
            return Ok(());
        }
        self.member(&key, value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(match self.function {
            Some(function) => function,
            None => self.list.total(),
        })
    }
}

impl SerializeStruct for LeastObject {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.member(key, value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.list.total())
    }
}

impl SerializeStructVariant for LeastObject {
    type Ok = Count;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.member(key, value)
    }
    fn end(self) -> Result<Count, Self::Error> {
        Ok(self.list.total())
    }
}

/// The text of a `Fn::Sub` with each `${Name}` at its fewest characters: a pseudo parameter's
/// shortest value, anything else nothing; `${!Literal}` as the `${Literal}` it writes.
fn least_sub_characters(sub: &Value) -> usize {
    let text = match sub {
        Value::String(text) => text.as_str(),
        Value::Array(parts) => match parts.first() {
            Some(Value::String(text)) => text.as_str(),
            _ => return 0,
        },
        _ => return 0,
    };
    let mut length = 0;
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        length += start;
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return length + rest[start..].len();
        };
        let name = &after[..end];
        length += match name.strip_prefix('!') {
            Some(literal) => literal.len() + 3,
            None => SHORTEST_PSEUDO
                .iter()
                .find(|(pseudo, _)| *pseudo == name)
                .map_or(0, |(_, shortest)| *shortest),
        };
        rest = &after[end + 1..];
    }
    length + rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_counts_as_its_compact_json_with_the_shortest_pseudo_parameters() {
        let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        assert_eq!(least_characters(&document), document.to_string().len());
        assert_eq!(
            least_characters(
                &json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/x"})
            ),
            "\"arn:aws:ssm:us-east-1:123456789012:parameter/x\"".len()
        );
        // A variable CloudFormation fills in, or another function, may be as short as nothing.
        assert_eq!(least_characters(&json!({"Fn::Sub": "a${Name}b"})), 4);
        assert_eq!(least_characters(&json!({"Fn::GetAtt": ["L", "Arn"]})), 0);
        assert_eq!(
            least_characters(&json!(["a", {"Ref": "AWS::NoValue"}, "b"])),
            r#"["a","b"]"#.len()
        );
        assert_eq!(
            least_characters(&json!({"Fn::If": ["C", "long text", "s"]})),
            r#""s""#.len()
        );
    }

    #[test]
    fn a_typed_policy_counts_as_the_value_it_is_written_as() {
        use crate::resources::{Actions, Allow, InlinePolicy, Statement};
        let policy = InlinePolicy {
            name: "ReadAgentSecrets",
            statements: vec![
                Statement::Allow(
                    Allow::new(
                        "ReadParameters",
                        Actions::List(&["ssm:GetParameters", "ssm:GetParameter"]),
                        json!([
                            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/a"},
                            {"Ref": "AWS::NoValue"},
                            "arn:aws:ssm:eu-west-1:123456789012:parameter/b"
                        ]),
                    )
                    .when("StringEquals", "kms:ViaService", json!({"Fn::If": ["C", "long text", "s"]})),
                ),
                Statement::Allow(Allow::unnamed(Actions::One("s3:GetObject"), json!(-12))),
                Statement::Written(json!({"Effect": "Allow", "Resource": [1.5, null, true]})),
            ],
        };
        let typed = least_characters(&policy.document());
        let value = serde_json::to_value(policy.document()).unwrap();
        assert_eq!(typed, least_characters(&value));
        // The shortest of each function, the rest as written.
        let shortest = value
            .to_string()
            .replace(
                r#"{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/a"}"#,
                r#""arn:aws:ssm:us-east-1:123456789012:parameter/a""#,
            )
            .replace(r#"{"Ref":"AWS::NoValue"},"#, "")
            .replace(r#"{"Fn::If":["C","long text","s"]}"#, r#""s""#);
        assert_eq!(typed, shortest.len(), "{shortest}");
    }

    #[test]
    fn a_role_sure_to_be_over_the_limit_is_refused_and_one_that_may_fit_is_not() {
        let role = |resources: usize| {
            let arns: Vec<Value> = (0..resources)
                .map(|n| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/ci/token-{n}")}))
                .collect();
            vec![(
                "AgentExecutionRole".to_owned(),
                GeneratedResource::Joined(
                    json!({"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
                        "PolicyName": "ReadAgentSecrets",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": arns}
                        ]}
                    }]}}),
                ),
            )]
        };
        let mut problems = Problems::new();
        check_role_policy_sizes("Agent", &role(100), &mut problems);
        assert!(problems.is_empty(), "{problems}");
        check_role_policy_sizes("Agent", &role(300), &mut problems);
        let text = problems.to_string();
        assert!(
            text.contains("Resources.Agent: expands to AgentExecutionRole, whose inline policies come to at least")
                && text.contains("over the 10240 IAM allows a role"),
            "{text}"
        );
    }
}
