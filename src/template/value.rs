//! Template values: intrinsic functions and their members, and values compared and de-duplicated
//! (`Fn::Sub` is in `sub.rs`, what a value resolves to in `scope.rs`).

use std::borrow::Borrow;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// An object of the given entries, in order. Unlike `json!`, which copies every interpolated
/// value through the serializer, this moves them: the generated resources are built of it.
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (key, value) in entries {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// `{"Fn::Sub": argument}`, the intrinsic the macro writes most.
pub fn fn_sub(argument: Value) -> Value {
    static MADE_ONCE: LazyLock<Map<String, Value>> = LazyLock::new(|| one_member("Fn::Sub"));
    copy_with_member_value(&MADE_ONCE, argument)
}

/// `{"Fn::GetAtt": argument}`.
pub(crate) fn fn_get_att(argument: Value) -> Value {
    static MADE_ONCE: LazyLock<Map<String, Value>> = LazyLock::new(|| one_member("Fn::GetAtt"));
    copy_with_member_value(&MADE_ONCE, argument)
}

/// A one-member map, `{name: null}`, made once and copied for each intrinsic: a copy does not
/// hash the name, and an insert into serde_json's map (an `IndexMap` with SipHash) does.
fn one_member(name: &str) -> Map<String, Value> {
    let mut map = Map::with_capacity(1);
    map.insert(name.to_owned(), Value::Null);
    map
}

fn copy_with_member_value(made: &Map<String, Value>, value: Value) -> Value {
    let mut map = made.clone();
    if let Some(slot) = map.values_mut().next() {
        *slot = value;
    }
    Value::Object(map)
}

/// The function name of an intrinsic (`Ref`, `Fn::GetAtt`, ...): an object with one key.
pub fn intrinsic_name(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let key = object.keys().next()?;
    (key == "Ref" || key.starts_with("Fn::")).then_some(key.as_str())
}

pub fn is_intrinsic(value: &Value) -> bool {
    intrinsic_name(value).is_some()
}

/// Whether a value can hold an intrinsic (a reference, an `Fn::If`): an object or a list. A walk
/// looking for one need not go into a string, a number, a boolean or null.
pub fn may_hold_intrinsic(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

/// Member `key` of an object the template writes with a few keys (a list entry's fields),
/// found by comparing keys: for so few, hashing the key costs more than comparing it with each.
pub fn small_object_member<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Option<(&'v String, &'v Value)> {
    object.iter().find(|(member, _)| member.as_str() == key)
}

/// The value of member `key` of an object with a few keys, found as [`small_object_member`]
/// finds it.
pub fn small_member<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    small_object_member(object, key).map(|(_, value)| value)
}

/// Attribute `key` of a resource (`Type`, `Properties`, `Condition`, ...): a resource has a
/// handful of keys at most, so it is found by comparing them.
pub fn resource_member<'v>(resource: &'v Value, key: &str) -> Option<&'v Value> {
    small_member(resource.as_object()?, key)
}

/// The target of `{"Ref": "X"}`.
pub fn ref_target(value: &Value) -> Option<&str> {
    match only_member(value)? {
        (key, Value::String(target)) if key == "Ref" => Some(target),
        _ => None,
    }
}

/// The resource and attribute a `{"Fn::GetAtt": [resource, attribute]}` (or
/// `"resource.attribute"`) names, both written out.
pub fn get_att_parts(value: &Value) -> Option<(&str, &str)> {
    match only_member(value)? {
        (key, Value::String(dotted)) if key == "Fn::GetAtt" => dotted.split_once('.'),
        (key, Value::Array(parts)) if key == "Fn::GetAtt" => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] => Some((resource, attribute)),
            _ => None,
        },
        _ => None,
    }
}

/// The key and value of an object with exactly one key, as an intrinsic function is written.
fn only_member(value: &Value) -> Option<(&String, &Value)> {
    let object = value.as_object()?;
    if object.len() == 1 {
        object.iter().next()
    } else {
        None
    }
}

/// The values in first-seen order, each once (a grant names each resource once), compared by
/// [`same_value`].
pub fn distinct<T: Borrow<Value>>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    distinct_by(values, |a, b| same_value(a.borrow(), b.borrow()))
}

/// [`distinct`], two values the same where `same` says so.
pub fn distinct_by<T>(
    values: impl IntoIterator<Item = T>,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<T> {
    let mut seen: Vec<T> = Vec::new();
    for value in values {
        if !seen.iter().any(|first| same(first, &value)) {
            seen.push(value);
        }
    }
    seen
}

/// Whether two values are equal, as `==` tells, for less: one value is the same as itself,
/// and objects whose keys are in the same order compare member by member. `==` looks each key
/// of one up in the other, hashing it (serde_json's map is an `IndexMap` with SipHash), though
/// values built the same way list their members in the same order.
pub fn same_value(a: &Value, b: &Value) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() && x.keys().eq(y.keys()) => {
            x.values().zip(y.values()).all(|(x, y)| same_value(x, y))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
