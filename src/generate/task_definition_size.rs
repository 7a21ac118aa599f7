//! ECS's quota on a task definition's size: the RegisterTaskDefinition request CloudFormation
//! sends may be 65,536 bytes (64 KiB, "Amazon ECS service quotas"; ECS refuses a bigger one with
//! "Actual length: '66420'. Max allowed length is '65536' bytes."). A task with many or long
//! environment values passes cfn-lint and is refused at deploy, failing the stack. The request
//! is the task definition's properties as JSON (its keys in camel case, as long as ours), so the
//! macro counts the generated properties as compact JSON, each value as CloudFormation will
//! write it where the request and the template tell it, else at its fewest bytes, and refuses
//! only a task definition sure to be over.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Map, Value};

mod key_text;

use crate::generate::output_types::{GeneratedResource, Properties, Resource};
use crate::generate::policy_size::{KnownValues, least_characters};
use crate::template::problems::Problems;
use key_text::KeyText;

/// ECS's limit on a task definition, in bytes of its JSON.
pub const TASK_DEFINITION_BYTES: usize = 65_536;

/// Refuses a generated task definition (of `resources`, as generated for `logical_id`) sure to
/// be over ECS's limit, naming the container's property that holds the most of it.
pub fn check_task_definition_size(
    logical_id: &str,
    resources: &[(String, GeneratedResource)],
    known: &KnownValues<'_>,
    problems: &mut Problems,
) {
    for (id, resource) in resources {
        let (least, properties) = match resource {
            GeneratedResource::Typed(Resource {
                properties: Properties::TaskDefinition(task_definition),
                ..
            }) => {
                // Counted straight from the typed properties, without building them as a value;
                // first with each `Fn::Sub` bounded (never fewer bytes than counted exactly),
                // so only a task definition that may be over is counted exactly.
                if least_bytes(task_definition.as_ref(), &known.bounding()) <= TASK_DEFINITION_BYTES
                {
                    continue;
                }
                let least = least_bytes(task_definition.as_ref(), known);
                if least <= TASK_DEFINITION_BYTES {
                    continue;
                }
                let properties =
                    serde_json::to_value(task_definition).expect("a task definition is JSON");
                (least, properties)
            }
            GeneratedResource::Joined(value)
                if value.get("Type").and_then(Value::as_str)
                    == Some("AWS::ECS::TaskDefinition") =>
            {
                let Some(properties) = value.get("Properties") else {
                    continue;
                };
                let least = least_characters(properties, known);
                if least <= TASK_DEFINITION_BYTES {
                    continue;
                }
                (least, properties.clone())
            }
            _ => continue,
        };
        let most = largest_container_member(&properties, known)
            .map(|(container, member, bytes)| {
                format!(
                    "; the most, {bytes} bytes, is the {member} of container {container}{}",
                    shrink_hint(member)
                )
            })
            .unwrap_or_default();
        problems.push(
            format!("Resources.{logical_id}"),
            format!(
                "expands to {id}, a task definition of at least {least} bytes as ECS will receive it, over the {TASK_DEFINITION_BYTES} (64 KiB) ECS takes{most}"
            ),
        );
    }
}

/// The member of a container definition that comes to the most bytes: the container's name,
/// the member's and its size.
fn largest_container_member<'v>(
    properties: &'v Value,
    known: &KnownValues<'_>,
) -> Option<(&'v str, &'v str, usize)> {
    let containers = properties.get("ContainerDefinitions")?.as_array()?;
    containers
        .iter()
        .filter_map(|container| {
            let name = container.get("Name").and_then(Value::as_str)?;
            let members = container.as_object()?;
            members
                .iter()
                .map(|(member, value)| (name, member.as_str(), least_characters(value, known)))
                .max_by_key(|(_, _, bytes)| *bytes)
        })
        .max_by_key(|(_, _, bytes)| *bytes)
}

/// What to do about a member that is too big.
fn shrink_hint(member: &str) -> &'static str {
    match member {
        "Environment" => {
            ": move long or many values into EnvironmentFiles (an .env file in S3) or SSM parameters read as Secrets, or split the work across more task definitions"
        }
        "Secrets" => {
            ": fetch some at run time instead (a grant in TaskRolePolicies), or split the work across more task definitions"
        }
        _ => ": shorten it, or split the work across more task definitions",
    }
}

/// The fewest bytes `value` comes to as compact JSON once CloudFormation has evaluated it, as
/// [`least_characters`] counts a value, counted as it is serialised.
fn least_bytes<T: Serialize + ?Sized>(value: &T, known: &KnownValues<'_>) -> usize {
    value
        .serialize(LeastBytes(known))
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// A serializer that writes nothing and counts the fewest bytes of what it is given:
/// `Some(bytes)`, or `None` for `{"Ref": "AWS::NoValue"}`, which removes the member or entry it
/// is. A one-member map naming an intrinsic function is taken as a value and counted by
/// [`least_characters`].
#[derive(Clone, Copy)]
struct LeastBytes<'k, 's>(&'k KnownValues<'s>);

type Counted = Option<usize>;

fn digits(value: impl ToString) -> Counted {
    Some(value.to_string().len())
}

/// The digits of an integer, counted without writing them.
fn integer_digits(value: u64) -> Counted {
    Some(value.checked_ilog10().map_or(1, |log| log as usize + 1))
}

impl<'k, 's> ser::Serializer for LeastBytes<'k, 's> {
    type Ok = Counted;
    type Error = serde_json::Error;
    type SerializeSeq = EntryCount<'k, 's>;
    type SerializeTuple = EntryCount<'k, 's>;
    type SerializeTupleStruct = EntryCount<'k, 's>;
    type SerializeTupleVariant = Impossible<Counted, serde_json::Error>;
    type SerializeMap = MemberCount<'k, 's>;
    type SerializeStruct = MemberCount<'k, 's>;
    type SerializeStructVariant = Impossible<Counted, serde_json::Error>;

    fn serialize_bool(self, flag: bool) -> Result<Counted, Self::Error> {
        Ok(Some(if flag { 4 } else { 5 }))
    }
    fn serialize_i8(self, n: i8) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_i16(self, n: i16) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_i32(self, n: i32) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_i64(self, n: i64) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_u8(self, n: u8) -> Result<Counted, Self::Error> {
        Ok(integer_digits(u64::from(n)))
    }
    fn serialize_u16(self, n: u16) -> Result<Counted, Self::Error> {
        Ok(integer_digits(u64::from(n)))
    }
    fn serialize_u32(self, n: u32) -> Result<Counted, Self::Error> {
        Ok(integer_digits(u64::from(n)))
    }
    fn serialize_u64(self, n: u64) -> Result<Counted, Self::Error> {
        Ok(integer_digits(n))
    }
    fn serialize_f32(self, n: f32) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_f64(self, n: f64) -> Result<Counted, Self::Error> {
        Ok(digits(n))
    }
    fn serialize_char(self, c: char) -> Result<Counted, Self::Error> {
        Ok(Some(c.len_utf8() + 2))
    }
    fn serialize_str(self, text: &str) -> Result<Counted, Self::Error> {
        Ok(Some(text.len() + 2))
    }
    fn serialize_bytes(self, bytes: &[u8]) -> Result<Counted, Self::Error> {
        Ok(Some(bytes.len() + 2))
    }
    fn serialize_none(self) -> Result<Counted, Self::Error> {
        Ok(Some(4))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Counted, Self::Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Counted, Self::Error> {
        Ok(Some(4))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Counted, Self::Error> {
        Ok(Some(4))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Counted, Self::Error> {
        Ok(Some(variant.len() + 2))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Counted, Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Counted, Self::Error> {
        Ok(value
            .serialize(self)?
            .map(|inner| variant.len() + 5 + inner))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<EntryCount<'k, 's>, Self::Error> {
        Ok(EntryCount::new(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<EntryCount<'k, 's>, Self::Error> {
        Ok(EntryCount::new(self))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<EntryCount<'k, 's>, Self::Error> {
        Ok(EntryCount::new(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(ser::Error::custom(
            "no task definition value is a tuple variant",
        ))
    }
    fn serialize_map(self, length: Option<usize>) -> Result<MemberCount<'k, 's>, Self::Error> {
        Ok(MemberCount::new(self, length == Some(1)))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<MemberCount<'k, 's>, Self::Error> {
        Ok(MemberCount::new(self, false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(ser::Error::custom(
            "no task definition value is a struct variant",
        ))
    }
}

/// `[a,b,...]`, its entries counted as they come; an `AWS::NoValue` entry is removed.
struct EntryCount<'k, 's> {
    counter: LeastBytes<'k, 's>,
    entries: usize,
    bytes: usize,
}

impl<'k, 's> EntryCount<'k, 's> {
    fn new(counter: LeastBytes<'k, 's>) -> Self {
        Self {
            counter,
            entries: 0,
            bytes: 0,
        }
    }

    fn add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        if let Some(bytes) = value.serialize(self.counter)? {
            self.entries += 1;
            self.bytes += bytes;
        }
        Ok(())
    }

    fn total(&self) -> Counted {
        Some(2 + self.bytes + self.entries.saturating_sub(1))
    }
}

impl ser::SerializeSeq for EntryCount<'_, '_> {
    type Ok = Counted;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Counted, Self::Error> {
        Ok(self.total())
    }
}

impl ser::SerializeTuple for EntryCount<'_, '_> {
    type Ok = Counted;
    type Error = serde_json::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Counted, Self::Error> {
        Ok(self.total())
    }
}

impl ser::SerializeTupleStruct for EntryCount<'_, '_> {
    type Ok = Counted;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.add(value)
    }
    fn end(self) -> Result<Counted, Self::Error> {
        Ok(self.total())
    }
}

/// `{"key":value,...}`, its members counted as they come; a member whose value is
/// `AWS::NoValue` is removed. A map of one member that names an intrinsic function is the
/// function, counted as its result.
struct MemberCount<'k, 's> {
    entries: EntryCount<'k, 's>,
    /// Whether the map has one member, and so may be a function.
    one_member: bool,
    /// The length of the key just given, and the key itself where it names a function.
    key: Option<(usize, Option<Cow<'static, str>>)>,
    /// The function's count, when the map is one.
    function: Option<Counted>,
}

impl<'k, 's> MemberCount<'k, 's> {
    fn new(counter: LeastBytes<'k, 's>, one_member: bool) -> Self {
        Self {
            entries: EntryCount::new(counter),
            one_member,
            key: None,
            function: None,
        }
    }

    fn member<T: Serialize + ?Sized>(
        &mut self,
        key_length: usize,
        function: Option<Cow<'static, str>>,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        if let Some(name) = function {
            if name == "Ref" {
                // Bounding: the target unread, at least as long as any known value (more bytes
                // than an exact count, which may also remove the member or count nothing).
                if let Some(most) = self.entries.counter.0.bounded_ref_length() {
                    self.function = Some(Some(most + 2));
                    return Ok(());
                }
                // The most common function here (each container's log group and region): its
                // target read as text, no value built.
                let target = value
                    .serialize(KeyText {
                        keep: true,
                        text: true,
                    })?
                    .1;
                let known = self.entries.counter.0;
                self.function = Some(match target.as_deref() {
                    Some("AWS::NoValue") => None,
                    Some(target) => Some(known.ref_length(target).map_or(0, |length| length + 2)),
                    None => Some(0),
                });
                return Ok(());
            }
            if name == "Fn::Sub"
                && let Ok((_, Some(text))) = value.serialize(KeyText {
                    keep: true,
                    text: true,
                })
            {
                // A `Fn::Sub` string, counted from its text.
                self.function = Some(Some(
                    crate::generate::policy_size::least_sub_text_characters(
                        &text,
                        self.entries.counter.0,
                    ) + 2,
                ));
                return Ok(());
            }
            let argument = serde_json::to_value(value)?;
            let mut intrinsic = Map::with_capacity(1);
            intrinsic.insert(name.into_owned(), argument);
            let intrinsic = Value::Object(intrinsic);
            let removed = crate::template::value::ref_target(&intrinsic) == Some("AWS::NoValue");
            self.function =
                Some((!removed).then(|| least_characters(&intrinsic, self.entries.counter.0)));
            return Ok(());
        }
        if let Some(bytes) = value.serialize(self.entries.counter)? {
            self.entries.entries += 1;
            self.entries.bytes += key_length + 3 + bytes;
        }
        Ok(())
    }

    fn total(&self) -> Counted {
        self.function.unwrap_or_else(|| self.entries.total())
    }
}

impl ser::SerializeMap for MemberCount<'_, '_> {
    type Ok = Counted;
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(key.serialize(KeyText {
            keep: self.one_member,
            text: false,
        })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let (length, function) = self.key.take().unwrap_or((0, None));
        self.member(length, function, value)
    }
    fn end(self) -> Result<Counted, Self::Error> {
        Ok(self.total())
    }
}

impl ser::SerializeStruct for MemberCount<'_, '_> {
    type Ok = Counted;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.member(key.len(), None, value)
    }
    fn end(self) -> Result<Counted, Self::Error> {
        Ok(self.total())
    }
}

#[cfg(test)]
mod tests;
