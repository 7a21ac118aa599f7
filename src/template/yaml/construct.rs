//! Nodes to the JSON CloudFormation reads, as AWS's cfn-lint decoder constructs them (PyYAML's
//! `SafeConstructor` with cfn-lint's own mapping constructor and its `!` multi-constructor):
//!
//! - every local tag `!Name` is `{"Fn::Name": ...}` (`!Ref` and `!Condition` keep their name) with
//!   its scalar taken as written (`!GetAZs` alone is `""`), `!GetAtt A.B` split at the first dot;
//! - merge keys (`<<`) put the merged entries first, and an entry written in the mapping wins;
//! - a mapping refuses a key given twice (unless it merges) and a null key, except directly under
//!   a local tag, where the last value wins as in a Python dict;
//! - keys that are numbers or booleans become the text JSON gives them (`1`, `true`);
//! - dates stay the text written (CloudFormation has no date type): the one place we differ;
//! - values with no JSON form (`.inf`, `.nan`, `!!binary`, `!!set`, integers past 64 bits) are
//!   refused, naming the place, as are nodes nested deeper than 128 levels (the depth the Lambda
//!   reads CloudFormation's JSON to) and aliases that expand past cfn-lint's 250,000 nodes.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::compose::{Content, Document, MAX_DEPTH, Mark, NodeId, Tag};
use super::error::TemplateReadError;
use super::key::Key;
use super::resolve::{NumberError, construct_bool, construct_float, construct_int};
use crate::template::problems::push_index;

/// cfn-lint's bound on a template's size once aliases are expanded (`_MAX_EXPANDED_NODES`); it
/// applies it when the text holds an `&`.
pub(super) const MAX_EXPANDED_NODES: usize = 250_000;
/// Values built, counting every copy an alias makes, before the template is refused outright.
const MAX_BUILT_NODES: usize = 2 * MAX_EXPANDED_NODES;

pub(super) fn construct_template(
    document: &Document,
    has_anchors: bool,
) -> Result<Value, TemplateReadError> {
    let Some(root) = document.root else {
        return Ok(Value::Object(Map::new()));
    };
    let mut constructor = Constructor {
        document,
        path: String::new(),
        cache: HashMap::new(),
        built: 0,
        bounded: has_anchors,
    };
    let template = constructor.value(root, 0)?;
    if has_anchors && template.size > MAX_EXPANDED_NODES {
        return Err(too_many_nodes());
    }
    Ok(match template.value {
        Value::Null => Value::Object(Map::new()),
        other => other,
    })
}

/// A value, how many values it holds, itself included (keys not counted, as cfn-lint counts), and
/// how many levels of lists and mappings it nests.
#[derive(Clone)]
struct Built {
    value: Value,
    size: usize,
    height: usize,
}

impl Built {
    fn leaf(value: Value) -> Built {
        let height = usize::from(value.is_array() || value.is_object());
        Built {
            value,
            size: 1,
            height,
        }
    }
}

/// Named by line and column only: the path there is 128 steps long.
fn too_deep(mark: Mark) -> TemplateReadError {
    TemplateReadError::Refused {
        place: format!("line {} column {}", mark.line, mark.column),
        why: format!(
            "nested deeper than {MAX_DEPTH} levels, more than the macro reads CloudFormation's JSON to"
        ),
    }
}

fn too_many_nodes() -> TemplateReadError {
    TemplateReadError::Refused {
        place: "(top level)".to_owned(),
        why: format!(
            "the template holds more than {MAX_EXPANDED_NODES} values once its aliases are \
             expanded (cfn-lint's bound against alias amplification)"
        ),
    }
}

/// How a mapping treats its keys: cfn-lint's constructor for plain mappings refuses a key given
/// twice (unless the mapping merges) and a null key; a mapping directly under a local tag is
/// PyYAML's plain `construct_mapping`, a Python dict where the last value wins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Checked,
    LastWins,
}

struct Constructor<'d> {
    document: &'d Document,
    /// Where the node being built is, as `Resources.A.Properties[0]`.
    path: String,
    /// Values of anchored nodes, built once and copied for each alias, as PyYAML shares them.
    cache: HashMap<NodeId, Built>,
    /// Values built so far, each alias's copy counted.
    built: usize,
    /// The template has anchors, so the bound on expanded nodes applies.
    bounded: bool,
}

impl<'d> Constructor<'d> {
    fn refuse(&self, mark: Mark, why: impl Into<String>) -> TemplateReadError {
        let place = if self.path.is_empty() {
            format!("(top level) at line {} column {}", mark.line, mark.column)
        } else {
            format!("{} at line {} column {}", self.path, mark.line, mark.column)
        };
        TemplateReadError::Refused {
            place,
            why: why.into(),
        }
    }

    fn count(&mut self, size: usize) -> Result<(), TemplateReadError> {
        self.built += size;
        if self.bounded && self.built > MAX_BUILT_NODES {
            return Err(too_many_nodes());
        }
        Ok(())
    }

    fn value(&mut self, id: NodeId, depth: usize) -> Result<Built, TemplateReadError> {
        if let Some(built) = self.cache.get(&id) {
            let (size, height) = (built.size, built.height);
            // An alias puts its anchor's value at a new depth.
            if depth + height > MAX_DEPTH {
                return Err(too_deep(self.document.node(id).mark));
            }
            self.count(size)?;
            return Ok(self.cache[&id].clone());
        }
        let built = self.build(id, depth)?;
        if self.document.node(id).anchored {
            self.cache.insert(id, built.clone());
        }
        Ok(built)
    }

    fn build(&mut self, id: NodeId, depth: usize) -> Result<Built, TemplateReadError> {
        let node = self.document.node(id);
        let mark = node.mark;
        let collection =
            !matches!(node.content, Content::Scalar(_)) || matches!(node.tag, Tag::Local(_));
        if depth >= MAX_DEPTH && collection {
            return Err(too_deep(mark));
        }
        let built = match (&node.tag, &node.content) {
            (Tag::Local(name), content) => return self.function(name, id, content, depth),
            (Tag::Seq, Content::Sequence(items)) => self.sequence(items, depth)?,
            (Tag::Map, Content::Mapping(_)) => self.mapping(id, Keys::Checked, depth)?,
            (Tag::Omap | Tag::Pairs, Content::Sequence(items)) => self.pairs(items, depth)?,
            (
                tag @ (Tag::Str
                | Tag::Timestamp
                | Tag::Null
                | Tag::Bool
                | Tag::Int
                | Tag::Float
                | Tag::Binary),
                content,
            ) if self.scalar_of(id).is_some() || matches!(content, Content::Scalar(_)) => {
                let text = self.scalar_of(id).unwrap_or_default();
                Built::leaf(self.scalar(tag, text, mark)?)
            }
            (Tag::Set, Content::Mapping(_)) => {
                return Err(self.refuse(mark, "!!set has no JSON form"));
            }
            (Tag::Merge, _) => {
                return Err(self.refuse(mark, "<< merges only as a mapping key"));
            }
            (Tag::Value | Tag::Yaml, _) => {
                return Err(self.refuse(
                    mark,
                    "a plain =, !, & or * means nothing to a YAML 1.1 reader: quote it",
                ));
            }
            (Tag::Unknown(tag), _) => {
                return Err(self.refuse(mark, format!("unknown tag {tag}")));
            }
            (tag, content) => {
                return Err(self.refuse(
                    mark,
                    format!(
                        "{} cannot tag a {}",
                        tag_text(tag),
                        match content {
                            Content::Scalar(_) => "scalar",
                            Content::Sequence(_) => "sequence",
                            Content::Mapping(_) => "mapping",
                        }
                    ),
                ));
            }
        };
        self.count(1)?;
        Ok(built)
    }

    /// PyYAML's `construct_scalar`: a scalar's text, or, for a mapping with a `=` key (YAML 1.1's
    /// "value"), the scalar of that key's value: `!!str {=: x}` is `x`.
    fn scalar_of(&self, id: NodeId) -> Option<&'d str> {
        let document = self.document;
        match &document.node(id).content {
            Content::Scalar(text) => Some(text),
            Content::Mapping(entries) => entries
                .iter()
                .find(|&&(key, _)| document.node(key).tag == Tag::Value)
                .and_then(|&(_, value)| self.scalar_of(value)),
            Content::Sequence(_) => None,
        }
    }

    /// A scalar constructed by its standard tag.
    fn scalar(&self, tag: &Tag, text: &str, mark: Mark) -> Result<Value, TemplateReadError> {
        Ok(match tag {
            Tag::Null => Value::Null,
            Tag::Bool => match construct_bool(text) {
                Some(flag) => Value::Bool(flag),
                None => {
                    return Err(self.refuse(mark, "!!bool takes yes, no, true, false, on or off"));
                }
            },
            Tag::Int => {
                let number = self.integer(text, mark)?;
                let number = i64::try_from(number)
                    .map(Number::from)
                    .or_else(|_| u64::try_from(number).map(Number::from))
                    .map_err(|_| {
                        self.refuse(
                            mark,
                            "an integer past 64 bits, which the macro cannot carry exactly: quote it",
                        )
                    })?;
                Value::Number(number)
            }
            Tag::Float => match Number::from_f64(self.float(text, mark)?) {
                Some(number) => Value::Number(number),
                None => {
                    return Err(self.refuse(
                        mark,
                        "numbers must be finite (.inf and .nan have no JSON form)",
                    ));
                }
            },
            Tag::Binary => return Err(self.refuse(mark, "!!binary has no JSON form")),
            // Str, and Timestamp: a date stays the text written.
            _ => Value::String(text.to_owned()),
        })
    }

    fn integer(&self, text: &str, mark: Mark) -> Result<i128, TemplateReadError> {
        construct_int(text).map_err(|error| match error {
            NumberError::Invalid => self.refuse(mark, "not an integer"),
            NumberError::TooLarge => self.refuse(mark, "an integer past 128 bits"),
        })
    }

    fn float(&self, text: &str, mark: Mark) -> Result<f64, TemplateReadError> {
        construct_float(text).map_err(|_| self.refuse(mark, "not a number"))
    }

    fn sequence(&mut self, items: &[NodeId], depth: usize) -> Result<Built, TemplateReadError> {
        let mut values = Vec::with_capacity(items.len());
        let (mut size, mut height) = (1, 1);
        for (index, &item) in items.iter().enumerate() {
            let length = self.path.len();
            push_index(&mut self.path, index);
            let built = self.value(item, depth + 1)?;
            self.path.truncate(length);
            size += built.size;
            height = height.max(1 + built.height);
            values.push(built.value);
        }
        Ok(Built {
            value: Value::Array(values),
            size,
            height,
        })
    }

    /// `!!omap` and `!!pairs`: a list of one-entry mappings, as a list of `[key, value]` lists.
    fn pairs(&mut self, items: &[NodeId], depth: usize) -> Result<Built, TemplateReadError> {
        let mut values = Vec::with_capacity(items.len());
        let (mut size, mut height) = (1, 2);
        for (index, &item) in items.iter().enumerate() {
            let length = self.path.len();
            push_index(&mut self.path, index);
            let node = self.document.node(item);
            let Content::Mapping(entries) = &node.content else {
                return Err(self.refuse(node.mark, "!!omap and !!pairs hold one-entry mappings"));
            };
            let &[(key, value)] = entries.as_slice() else {
                return Err(self.refuse(node.mark, "!!omap and !!pairs hold one-entry mappings"));
            };
            if depth + 1 >= MAX_DEPTH {
                return Err(too_deep(node.mark));
            }
            let key = self.value(key, depth + 2)?;
            let value = self.value(value, depth + 2)?;
            self.path.truncate(length);
            size += 1 + key.size + value.size;
            height = height.max(2 + key.height.max(value.height));
            self.count(1)?;
            values.push(Value::Array(vec![key.value, value.value]));
        }
        Ok(Built {
            value: Value::Array(values),
            size,
            height,
        })
    }

    /// A local tag, cfn-lint's multi-constructor: `!Name x` is `{"Fn::Name": x}`.
    fn function(
        &mut self,
        name: &str,
        id: NodeId,
        content: &Content,
        depth: usize,
    ) -> Result<Built, TemplateReadError> {
        let long = if name == "Ref" || name == "Condition" {
            name.to_owned()
        } else {
            format!("Fn::{name}")
        };
        if depth + 1 >= MAX_DEPTH && !matches!(content, Content::Scalar(_)) {
            return Err(too_deep(self.document.node(id).mark));
        }
        let length = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(&long);
        let argument = match content {
            Content::Scalar(text) if name == "GetAtt" => {
                let parts: Vec<Value> = match text.split_once('.') {
                    Some((resource, attribute)) => vec![resource.into(), attribute.into()],
                    None => vec![text.as_str().into()],
                };
                let size = 1 + parts.len();
                self.count(parts.len())?;
                Built {
                    value: Value::Array(parts),
                    size,
                    height: 1,
                }
            }
            Content::Scalar(text) => Built::leaf(Value::String(text.clone())),
            Content::Sequence(items) => self.sequence(items, depth + 1)?,
            // cfn-lint reads `!GetAtt {}` as an empty list, and any other mapping under it as a
            // plain mapping.
            Content::Mapping(entries) if name == "GetAtt" && entries.is_empty() => {
                Built::leaf(Value::Array(Vec::new()))
            }
            Content::Mapping(_) if name == "GetAtt" => {
                self.mapping(id, Keys::Checked, depth + 1)?
            }
            Content::Mapping(_) => self.mapping(id, Keys::LastWins, depth + 1)?,
        };
        self.path.truncate(length);
        self.count(2)?;
        let mut call = Map::with_capacity(1);
        call.insert(long, argument.value);
        Ok(Built {
            value: Value::Object(call),
            size: 1 + argument.size,
            height: 1 + argument.height,
        })
    }

    /// PyYAML's `flatten_mapping`: each `<<` entry is replaced by the entries of the mapping it
    /// names (of each mapping of a list, the first listed last, so that it wins), all of them
    /// ahead of the entries written. Also says whether there was a merge.
    fn flatten(&mut self, id: NodeId) -> Result<(Vec<(NodeId, NodeId)>, bool), TemplateReadError> {
        let node = self.document.node(id);
        let Content::Mapping(entries) = &node.content else {
            unreachable!("only mappings are flattened");
        };
        if !entries
            .iter()
            .any(|&(key, _)| self.document.node(key).tag == Tag::Merge)
        {
            return Ok((entries.clone(), false));
        }
        let mut merged = Vec::new();
        let mut written = Vec::new();
        for &(key, value) in entries {
            if self.document.node(key).tag != Tag::Merge {
                written.push((key, value));
                continue;
            }
            let source = self.document.node(value);
            match &source.content {
                Content::Mapping(_) => merged.extend(self.flatten(value)?.0),
                Content::Sequence(sources) => {
                    let mut lists = Vec::with_capacity(sources.len());
                    for &source in sources {
                        let node = self.document.node(source);
                        if !matches!(node.content, Content::Mapping(_)) {
                            return Err(self.refuse(node.mark, "<< merges mappings only"));
                        }
                        lists.push(self.flatten(source)?.0);
                    }
                    for list in lists.into_iter().rev() {
                        merged.extend(list);
                    }
                }
                Content::Scalar(_) => {
                    return Err(
                        self.refuse(source.mark, "<< merges a mapping or a list of mappings")
                    );
                }
            }
            if self.bounded {
                self.count(merged.len())?;
            }
        }
        merged.extend(written);
        Ok((merged, true))
    }

    fn mapping(
        &mut self,
        id: NodeId,
        keys: Keys,
        depth: usize,
    ) -> Result<Built, TemplateReadError> {
        let (entries, merges) = self.flatten(id)?;
        let checked = keys == Keys::Checked;
        // The entries as a Python dict holds them: the first key's place, the last value.
        let mut dict: Vec<(Key, Mark, Built)> = Vec::with_capacity(entries.len());
        let mut text_keys: HashMap<String, usize> = HashMap::new();
        for (key_id, value_id) in entries {
            let key_mark = self.document.node(key_id).mark;
            let key = self.key(key_id)?;
            let length = self.path.len();
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path
                .push_str(&key.json_text().unwrap_or_else(|| "(key)".to_owned()));
            let value = self.value(value_id, depth + 1)?;
            if checked && matches!(key, Key::Null) {
                self.path.truncate(length);
                return Err(self.refuse(key_mark, "a null key, which a template cannot hold"));
            }
            let existing = match &key {
                Key::Str(text) => text_keys.get(text).copied(),
                other => dict.iter().position(|(seen, _, _)| seen.same_as(other)),
            };
            match existing {
                Some(_) if checked && !merges => {
                    let first = dict[existing.unwrap_or_default()].1;
                    let error = self.refuse(
                        key_mark,
                        format!(
                            "a key given twice in one mapping (first at line {} column {})",
                            first.line, first.column
                        ),
                    );
                    return Err(error);
                }
                Some(index) => dict[index].2 = value,
                None => {
                    if let Key::Str(text) = &key {
                        text_keys.insert(text.clone(), dict.len());
                    }
                    dict.push((key, key_mark, value));
                }
            }
            self.path.truncate(length);
        }
        let mut map = Map::with_capacity(dict.len());
        let (mut size, mut height) = (1, 1);
        for (key, mark, value) in dict {
            let Some(text) = key.json_text() else {
                return Err(self.refuse(mark, "a key that is not a finite number"));
            };
            if map.contains_key(&text) {
                return Err(self.refuse(
                    mark,
                    "two keys that JSON writes the same (such as 1 and \"1\")",
                ));
            }
            size += value.size;
            height = height.max(1 + value.height);
            map.insert(text, value.value);
        }
        Ok(Built {
            value: Value::Object(map),
            size,
            height,
        })
    }

    /// A mapping key: a scalar, as PyYAML constructs it. Lists, mappings and functions are not
    /// hashable in Python, so not keys.
    fn key(&mut self, id: NodeId) -> Result<Key, TemplateReadError> {
        let node = self.document.node(id);
        let mark = node.mark;
        let scalar_tag = matches!(
            node.tag,
            Tag::Str | Tag::Timestamp | Tag::Value | Tag::Null | Tag::Bool | Tag::Int | Tag::Float
        );
        let text = match self.scalar_of(id) {
            Some(text) if scalar_tag || matches!(node.content, Content::Scalar(_)) => text,
            _ => return Err(self.refuse(mark, "a key that is a list or a mapping")),
        };
        Ok(match &node.tag {
            // flatten_mapping reads a key `=` as the string.
            Tag::Str | Tag::Timestamp | Tag::Value => Key::Str(text.to_owned()),
            Tag::Null => Key::Null,
            Tag::Bool => match construct_bool(text) {
                Some(flag) => Key::Bool(flag),
                None => {
                    return Err(self.refuse(mark, "!!bool takes yes, no, true, false, on or off"));
                }
            },
            Tag::Int => Key::Int(self.integer(text, mark)?),
            Tag::Float => Key::Float(self.float(text, mark)?),
            Tag::Local(_) => return Err(self.refuse(mark, "a key that is a function")),
            Tag::Binary => return Err(self.refuse(mark, "!!binary has no JSON form")),
            Tag::Unknown(tag) => return Err(self.refuse(mark, format!("unknown tag {tag}"))),
            other => {
                return Err(self.refuse(mark, format!("{} cannot tag a key", tag_text(other))));
            }
        })
    }
}

fn tag_text(tag: &Tag) -> String {
    match tag {
        Tag::Local(name) => format!("!{name}"),
        Tag::Unknown(tag) => tag.clone(),
        other => format!("!!{}", format!("{other:?}").to_lowercase()),
    }
}

#[cfg(test)]
mod tests;
