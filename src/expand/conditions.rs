//! `Fn::If` in a Buildkite resource's properties: each combination of the conditions it names
//! is expanded on its own, and the results are joined under the same conditions, so that the
//! output is what CloudFormation would get from the macro whichever way each condition goes.
//!
//! An `Fn::If` is resolved where the macro reads the value: a property, a list entry, a field
//! of an entry, at any depth, but not inside another intrinsic function nor inside a policy
//! document, which the macro carries untouched (CloudFormation evaluates those itself).

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::template::place::Trail;
use crate::template::problems::Problems;
use crate::template::value::{intrinsic_name, may_hold_intrinsic, ref_target};

/// How many conditions one resource may branch on: each combination is expanded, so the
/// output grows with 2 to this power.
pub const MAX_CONDITIONS: usize = 3;

/// Lists longer than this, multiplied, are joined whole rather than entry by entry: aligning
/// them takes time and memory in proportion.
const MAX_ALIGNED_PAIRS: usize = 250_000;

/// Values the macro copies without reading, so an `Fn::If` inside stays as written.
const OPAQUE_KEYS: [&str; 1] = ["PolicyDocument"];

/// The conditions a resource's properties branch on, in the order first written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branching {
    pub conditions: Vec<String>,
    /// Whether the values walked hold any `Fn::If`, one the macro cannot branch on included.
    pub meets_fn_if: bool,
}

/// One way every condition of a [`Branching`] can go: condition `i` holds unless bit
/// `len - 1 - i` of `index` is set, so assignment 0 is "all true" and the first half of the
/// assignments is the first condition's true side.
#[derive(Debug, Clone, Copy)]
pub struct Assignment<'c> {
    conditions: &'c [String],
    index: usize,
}

impl Assignment<'_> {
    pub fn holds(&self, condition: &str) -> Option<bool> {
        let position = self.conditions.iter().position(|c| c == condition)?;
        Some(self.index >> (self.conditions.len() - 1 - position) & 1 == 0)
    }
}

impl Branching {
    /// Records the conditions named by the `Fn::If`s of `value` (written at `path`), and a
    /// problem for each `Fn::If` that is malformed or names a condition `Conditions` lacks
    /// (still branched on, so that the problems of both its branches are found).
    pub fn collect(
        &mut self,
        value: &Value,
        trail: &Trail<'_>,
        known: Option<&Map<String, Value>>,
        problems: &mut Problems,
    ) {
        match value {
            Value::Object(_) if intrinsic_name(value) == Some("Fn::If") => {
                self.meets_fn_if = true;
                match if_arguments(value) {
                    Some((condition, when_true, when_false)) => {
                        if !known.is_some_and(|known| known.contains_key(condition)) {
                            problems.push(
                                trail,
                                format!("Fn::If names condition {condition}, which the template's Conditions section does not declare"),
                            );
                        }
                        if !self.conditions.iter().any(|c| c == condition) {
                            self.conditions.push(condition.to_owned());
                        }
                        let arguments = trail.key("Fn::If");
                        for (index, branch) in [(1, when_true), (2, when_false)] {
                            self.collect(branch, &arguments.index(index), known, problems);
                        }
                    }
                    None => problems.push(
                        trail,
                        "Fn::If takes [a condition name, the value when it holds, the value when it does not]",
                    ),
                }
            }
            _ if intrinsic_name(value).is_some() => {}
            Value::Object(map) => {
                for (key, child) in map {
                    if !OPAQUE_KEYS.contains(&key.as_str()) && may_hold_intrinsic(child) {
                        self.collect(child, &trail.key(key), known, problems);
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if may_hold_intrinsic(item) {
                        self.collect(item, &trail.index(index), known, problems);
                    }
                }
            }
            _ => {}
        }
    }

    /// The bit of an assignment's index that is set where `condition` does not hold; clearing
    /// it gives the same assignment with `condition` holding.
    pub fn false_bit(&self, condition: &str) -> Option<usize> {
        let position = self.conditions.iter().position(|c| c == condition)?;
        Some(1 << (self.conditions.len() - 1 - position))
    }

    /// Every assignment of the conditions, the all-true one first.
    pub fn assignments(&self) -> impl Iterator<Item = Assignment<'_>> {
        (0..1usize << self.conditions.len()).map(|index| Assignment {
            conditions: &self.conditions,
            index,
        })
    }

    /// How a message says in which assignments (their indexes) a problem shows: the fewest
    /// conditions that fix it, e.g. " (when Production is true)"; "" when it shows in all.
    pub fn when(&self, indexes: &[usize]) -> String {
        let count = 1usize << self.conditions.len();
        if indexes.len() == count {
            return String::new();
        }
        let n = self.conditions.len();
        // The smallest set of conditions (as a bit mask of positions) and their values for
        // which every assignment agreeing with them shows the problem.
        let mut masks: Vec<usize> = (1..count).collect();
        masks.sort_by_key(|mask| (mask.count_ones(), std::cmp::Reverse(*mask)));
        for mask in masks {
            for &index in indexes {
                let agreeing = (0..count).filter(|other| (other ^ index) & mask == 0);
                if agreeing.clone().all(|other| indexes.contains(&other)) {
                    let parts: Vec<String> = (0..n)
                        .filter(|position| mask >> (n - 1 - position) & 1 == 1)
                        .map(|position| {
                            let holds = index >> (n - 1 - position) & 1 == 0;
                            format!("{} is {holds}", self.conditions[position])
                        })
                        .collect();
                    return format!(" (when {})", parts.join(" and "));
                }
            }
        }
        String::new()
    }
}

/// `[condition, when true, when false]` of a well-formed `Fn::If`.
fn if_arguments(value: &Value) -> Option<(&str, &Value, &Value)> {
    match value.get("Fn::If")?.as_array()?.as_slice() {
        [Value::String(condition), when_true, when_false] => {
            Some((condition, when_true, when_false))
        }
        _ => None,
    }
}

fn is_no_value(value: &Value) -> bool {
    ref_target(value) == Some("AWS::NoValue")
}

/// A resource's properties (or `Globals.TaskDefinition`) with every `Fn::If` of the
/// assignment's conditions replaced by its branch; a key whose `Fn::If` gives `AWS::NoValue`
/// is left out, as CloudFormation leaves it out (a list entry stays: the reader skips it in
/// place, so the places of the others hold).
pub fn resolve_map<'v>(
    map: &'v Map<String, Value>,
    assignment: &Assignment<'_>,
) -> Cow<'v, Map<String, Value>> {
    if assignment.conditions.is_empty() {
        return Cow::Borrowed(map);
    }
    Cow::Owned(resolved_map(map, assignment))
}

fn resolved_map(map: &Map<String, Value>, assignment: &Assignment<'_>) -> Map<String, Value> {
    let mut out = Map::with_capacity(map.len());
    for (key, child) in map {
        if OPAQUE_KEYS.contains(&key.as_str()) {
            out.insert(key.clone(), child.clone());
            continue;
        }
        let child_out = resolved(child, assignment);
        if is_no_value(&child_out) && !is_no_value(child) {
            continue;
        }
        out.insert(key.clone(), child_out);
    }
    out
}

fn resolved(value: &Value, assignment: &Assignment<'_>) -> Value {
    if let Some((condition, when_true, when_false)) = if_arguments(value)
        && let Some(holds) = assignment.holds(condition)
    {
        return resolved(if holds { when_true } else { when_false }, assignment);
    }
    if intrinsic_name(value).is_some() {
        return value.clone();
    }
    match value {
        Value::Object(map) => Value::Object(resolved_map(map, assignment)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| resolved(i, assignment)).collect())
        }
        other => other.clone(),
    }
}

/// Where a generated resource exists: always, or when a condition expression holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Always,
    When(Value),
}

fn condition(name: &str) -> Value {
    json!({ "Condition": name })
}

fn not(expression: Value) -> Value {
    json!({ "Fn::Not": [expression] })
}

/// Where something exists that exists as `when_true` says on the true side of `name` and as
/// `when_false` says on its false side (`None`: not at all).
fn join_presence(
    name: &str,
    when_true: Option<Presence>,
    when_false: Option<Presence>,
) -> Option<Presence> {
    use Presence::{Always, When};
    Some(match (when_true, when_false) {
        (None, None) => return None,
        (Some(Always), Some(Always)) => Always,
        (Some(a), Some(b)) if a == b => a,
        (Some(Always), None) => When(condition(name)),
        (None, Some(Always)) => When(not(condition(name))),
        (Some(When(f)), None) => When(json!({"Fn::And": [condition(name), f]})),
        (None, Some(When(f))) => When(json!({"Fn::And": [not(condition(name)), f]})),
        (Some(Always), Some(When(f))) => When(json!({"Fn::Or": [condition(name), f]})),
        (Some(When(f)), Some(Always)) => When(json!({"Fn::Or": [not(condition(name)), f]})),
        (Some(When(f)), Some(When(g))) => When(json!({"Fn::Or": [
            {"Fn::And": [condition(name), f]},
            {"Fn::And": [not(condition(name)), g]}
        ]})),
    })
}

/// One value for every assignment (in [`Branching::assignments`] order), joined into one
/// that gives each under its assignment.
pub fn join_values(branching: &Branching, values: Vec<Value>) -> Value {
    fn join(conditions: &[String], mut values: Vec<Value>) -> Value {
        match conditions.split_first() {
            None => values.pop().unwrap_or(Value::Null),
            Some((first, rest)) => {
                let when_false = values.split_off(values.len() / 2);
                let a = join(rest, values);
                let b = join(rest, when_false);
                join_two(first, a, b)
            }
        }
    }
    join(&branching.conditions, values)
}

/// The resources generated under every assignment, joined: each resource once, in order,
/// with where it exists.
pub fn join_resources(
    branching: &Branching,
    outputs: Vec<Vec<(String, Value)>>,
) -> Vec<(String, Value, Presence)> {
    fn join(
        conditions: &[String],
        mut outputs: Vec<Vec<(String, Value, Presence)>>,
    ) -> Vec<(String, Value, Presence)> {
        let Some((first, rest)) = conditions.split_first() else {
            return outputs.pop().unwrap_or_default();
        };
        let when_false = outputs.split_off(outputs.len() / 2);
        let a = join(rest, outputs);
        let b = join(rest, when_false);
        align(a, b, |(id, _, _)| Value::String(id.clone()))
            .into_iter()
            .filter_map(|pair| {
                let (id, value, presence) = match pair {
                    Aligned::Both((id, a, pa), (_, b, pb)) => (
                        id,
                        join_two(first, a, b),
                        join_presence(first, Some(pa), Some(pb)),
                    ),
                    Aligned::Left((id, a, pa)) => (id, a, join_presence(first, Some(pa), None)),
                    Aligned::Right((id, b, pb)) => (id, b, join_presence(first, None, Some(pb))),
                };
                Some((id, value, presence?))
            })
            .collect()
    }
    let outputs = outputs
        .into_iter()
        .map(|resources| {
            resources
                .into_iter()
                .map(|(id, value)| (id, value, Presence::Always))
                .collect()
        })
        .collect();
    join(&branching.conditions, outputs)
}

/// `a` where `name` holds and `b` where it does not, as one value: equal parts stay, objects
/// are joined key by key and lists entry by entry where they share entries, any other
/// difference is `Fn::If [name, a, b]`.
pub fn join_two(name: &str, a: Value, b: Value) -> Value {
    if a == b {
        return a;
    }
    let branch = |a: Value, b: Value| json!({ "Fn::If": [name, a, b] });
    let no_value = || json!({"Ref": "AWS::NoValue"});
    match (a, b) {
        (Value::Object(a), Value::Object(b)) if !is_intrinsic_map(&a) && !is_intrinsic_map(&b) => {
            // Keys in both orders at once: one only on the false side follows its neighbours.
            let pairs = align(
                a.into_iter().collect(),
                b.into_iter().collect(),
                |(key, _): &(String, Value)| Value::String(key.clone()),
            );
            let mut out = Map::with_capacity(pairs.len());
            for pair in pairs {
                let (key, value) = match pair {
                    Aligned::Both((key, a), (_, b)) => (key, join_two(name, a, b)),
                    Aligned::Left((key, a)) => (key, branch(a, no_value())),
                    Aligned::Right((key, b)) => (key, branch(no_value(), b)),
                };
                out.insert(key, value);
            }
            Value::Object(out)
        }
        (Value::Array(a), Value::Array(b))
            if a.len().saturating_mul(b.len()) > MAX_ALIGNED_PAIRS =>
        {
            branch(Value::Array(a), Value::Array(b))
        }
        (Value::Array(a), Value::Array(b)) => {
            let pairs = align(a, b, entry_identity);
            if !pairs.iter().any(|pair| matches!(pair, Aligned::Both(..))) {
                // Nothing in common: the two lists whole read better than entry by entry.
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for pair in pairs {
                    match pair {
                        Aligned::Left(entry) => a.push(entry),
                        Aligned::Right(entry) => b.push(entry),
                        Aligned::Both(..) => {}
                    }
                }
                return branch(Value::Array(a), Value::Array(b));
            }
            Value::Array(
                pairs
                    .into_iter()
                    .map(|pair| match pair {
                        Aligned::Both(a, b) => join_two(name, a, b),
                        Aligned::Left(a) => branch(a, no_value()),
                        Aligned::Right(b) => branch(no_value(), b),
                    })
                    .collect(),
            )
        }
        (a, b) => branch(a, b),
    }
}

fn is_intrinsic_map(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .is_some_and(|key| key == "Ref" || key.starts_with("Fn::"))
}

/// What makes two list entries the same entry on both sides: its name (a container, variable,
/// volume, policy, statement, tag, dependency or mount), else the whole entry.
fn entry_identity(entry: &Value) -> Value {
    const NAMING_KEYS: [&str; 7] = [
        "Name",
        "PolicyName",
        "Sid",
        "Key",
        "ContainerName",
        "SourceVolume",
        "SourceContainer",
    ];
    if intrinsic_name(entry).is_none()
        && let Some(map) = entry.as_object()
        && let Some(key) = NAMING_KEYS.iter().find(|key| map.contains_key(**key))
    {
        return json!([key, map[*key]]);
    }
    entry.clone()
}

enum Aligned<T> {
    Both(T, T),
    Left(T),
    Right(T),
}

/// The entries of `a` and `b` in one order, those of the same identity paired: a longest
/// common subsequence of identities, the unpaired entries of each side kept in their order.
fn align<T>(a: Vec<T>, b: Vec<T>, identity: impl Fn(&T) -> Value) -> Vec<Aligned<T>> {
    let ka: Vec<Value> = a.iter().map(&identity).collect();
    let kb: Vec<Value> = b.iter().map(&identity).collect();
    let (n, m) = (ka.len(), kb.len());
    // lengths[i][j]: the longest common subsequence of ka[i..] and kb[j..].
    let mut lengths = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[i][j] = if ka[i] == kb[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let mut steps = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && ka[i] == kb[j] {
            steps.push((true, true));
            i += 1;
            j += 1;
        } else if j == m || (i < n && lengths[i + 1][j] >= lengths[i][j + 1]) {
            steps.push((true, false));
            i += 1;
        } else {
            steps.push((false, true));
            j += 1;
        }
    }
    let mut a = a.into_iter();
    let mut b = b.into_iter();
    let mut out = Vec::with_capacity(steps.len());
    for (from_a, from_b) in steps {
        let left = if from_a { a.next() } else { None };
        let right = if from_b { b.next() } else { None };
        match (left, right) {
            (Some(left), Some(right)) => out.push(Aligned::Both(left, right)),
            (Some(left), None) => out.push(Aligned::Left(left)),
            (None, Some(right)) => out.push(Aligned::Right(right)),
            (None, None) => {}
        }
    }
    out
}

/// The resource's own `Condition`, when it names one the template declares: the resource
/// exists only when it holds.
pub fn own_condition<'r>(
    condition: Option<&'r Value>,
    known_conditions: Option<&Map<String, Value>>,
) -> Option<&'r str> {
    condition
        .and_then(Value::as_str)
        .filter(|name| known_conditions.is_some_and(|known| known.contains_key(*name)))
}

#[cfg(test)]
mod tests;
