//! YAML text to a graph of nodes, as PyYAML's composer builds it over libyaml (which
//! libyaml-safer is, line by line): one document, every scalar's tag resolved (the YAML 1.1 rules
//! of `resolve` for plain scalars), and aliases pointing at the node their anchor names.

use std::collections::HashMap;
use std::io::Cursor;

/// serde_json reads JSON nested this deep and no deeper: the Lambda could not read more.
pub(super) const MAX_DEPTH: usize = 128;

use libyaml_safer::{EventData, Parser};

use super::error::TemplateReadError;
use super::resolve::{Plain, resolve_plain};

pub(super) type NodeId = usize;

/// How deep the composer lets collections nest before it stops reading: far past the depth the
/// constructed template may have (`construct::MAX_DEPTH`; only merge keys make it shallower
/// than the YAML), and past where PyYAML's recursive composer, and so cfn-lint, gives up. The
/// scanner's work per token grows with the depth, so reading on through a deeper stream takes
/// time in proportion to its square (minutes for 100,000 unclosed `[`).
const MAX_COMPOSE_DEPTH: usize = 4 * MAX_DEPTH;

/// A place in the source: line and column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    pub line: usize,
    pub column: usize,
}

impl From<libyaml_safer::Mark> for Mark {
    fn from(mark: libyaml_safer::Mark) -> Self {
        Mark {
            line: usize::try_from(mark.line)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
            column: usize::try_from(mark.column)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        }
    }
}

#[derive(Debug)]
pub(super) enum Content {
    Scalar(String),
    Sequence(Vec<NodeId>),
    Mapping(Vec<(NodeId, NodeId)>),
}

/// A node's tag, resolved: what constructs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tag {
    Str,
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Binary,
    Omap,
    Pairs,
    Set,
    Seq,
    Map,
    Merge,
    Value,
    Yaml,
    /// A local tag such as `!Ref`, by its name without the `!`.
    Local(String),
    /// Any other tag (`!!python/str`, `!<tag:example.com,2000:x>`), which nothing constructs.
    Unknown(String),
}

impl Tag {
    fn from_full(tag: &str) -> Tag {
        if let Some(name) = tag.strip_prefix("tag:yaml.org,2002:") {
            return match name {
                "str" => Tag::Str,
                "null" => Tag::Null,
                "bool" => Tag::Bool,
                "int" => Tag::Int,
                "float" => Tag::Float,
                "timestamp" => Tag::Timestamp,
                "binary" => Tag::Binary,
                "omap" => Tag::Omap,
                "pairs" => Tag::Pairs,
                "set" => Tag::Set,
                "seq" => Tag::Seq,
                "map" => Tag::Map,
                "merge" => Tag::Merge,
                "value" => Tag::Value,
                "yaml" => Tag::Yaml,
                other => Tag::Unknown(format!("!!{other}")),
            };
        }
        match tag.strip_prefix('!') {
            Some(name) => Tag::Local(name.to_owned()),
            None => Tag::Unknown(format!("!<{tag}>")),
        }
    }

    fn from_plain(plain: Plain) -> Tag {
        match plain {
            Plain::Str => Tag::Str,
            Plain::Null => Tag::Null,
            Plain::Bool => Tag::Bool,
            Plain::Int => Tag::Int,
            Plain::Float => Tag::Float,
            Plain::Timestamp => Tag::Timestamp,
            Plain::Merge => Tag::Merge,
            Plain::Value => Tag::Value,
            Plain::Yaml => Tag::Yaml,
        }
    }
}

#[derive(Debug)]
pub(super) struct Node {
    pub content: Content,
    pub tag: Tag,
    pub mark: Mark,
    /// Named by an anchor: it may be met again through an alias.
    pub anchored: bool,
}

/// The one document of a template, or none for an empty stream.
#[derive(Debug, Default)]
pub(super) struct Document {
    pub nodes: Vec<Node>,
    pub root: Option<NodeId>,
}

impl Document {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }
}

/// libyaml's problem with a `\u` escape that is no character: a UTF-16 surrogate.
const INVALID_ESCAPE: &str = "found invalid Unicode character escape code";

pub(super) fn compose(text: &str, format: &'static str) -> Result<Document, TemplateReadError> {
    let mut joined: Option<String> = None;
    // Where each pair was (line, column from 0, in the text as rewritten), so that a later
    // error names the column of the text as written: a pair's 12 bytes become 10.
    let mut rewrites: Vec<(u64, u64)> = Vec::new();
    loop {
        let current = joined.as_deref().unwrap_or(text);
        match compose_text(current) {
            Err(ComposeStop::Read(error)) => return Err(error),
            Ok(document) => return Ok(document),
            Err(ComposeStop::Syntax(error)) => {
                // JSON writes a character past U+FFFF as an escaped UTF-16 surrogate pair
                // (RFC 8259 section 7; Python's json.dumps does), which CloudFormation reads
                // as the character and YAML's `\u`, one code point, does not: the pair is
                // read as the one `\U` escape it stands for, and read again.
                let pair = (format == "JSON" && error.problem() == INVALID_ESCAPE)
                    .then(|| error.problem_mark())
                    .flatten()
                    .and_then(|mark| surrogate_pair_at(current, mark.index));
                match pair {
                    Some((start, character)) => {
                        let mark = error.problem_mark().unwrap_or_default();
                        rewrites.push((mark.line, mark.column.saturating_sub(2)));
                        let mut rewritten = String::with_capacity(current.len());
                        rewritten.push_str(&current[..start]);
                        rewritten.push_str(&format!("\\U{:08X}", u32::from(character)));
                        rewritten.push_str(&current[start + 12..]);
                        joined = Some(rewritten);
                    }
                    None => {
                        let mut error = syntax_error(current, format, &error);
                        if let TemplateReadError::Syntax { line, column, .. } = &mut error {
                            let shift = rewrites
                                .iter()
                                .filter(|(at_line, at_column)| {
                                    usize::try_from(*at_line).is_ok_and(|at| at + 1 == *line)
                                        && usize::try_from(*at_column).is_ok_and(|at| at < *column)
                                })
                                .count();
                            *column += 2 * shift;
                        }
                        return Err(error);
                    }
                }
            }
        }
    }
}

/// Where a `\u` escape of a high surrogate followed by one of a low surrogate starts, its
/// hexadecimal digits being at byte `digits` of `text` (or 3 bytes on, past a byte order mark
/// the reader skipped), and the character the pair stands for.
fn surrogate_pair_at(text: &str, digits: u64) -> Option<(usize, char)> {
    let digits = usize::try_from(digits).ok()?;
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let start = (digits + bom).checked_sub(2)?;
    let escapes = text.get(start..start + 12)?;
    let unit = |escape: &str| {
        let hex = escape.strip_prefix("\\u")?;
        u32::from_str_radix(hex, 16).ok()
    };
    let (high, low) = (unit(&escapes[..6])?, unit(&escapes[6..])?);
    if !(0xD800..0xDC00).contains(&high) || !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    let character = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
    Some((start, character))
}

/// Why composing stopped: the parser's error, kept to look at, or a reading refused.
enum ComposeStop {
    Syntax(libyaml_safer::Error),
    Read(TemplateReadError),
}

fn compose_text(text: &str) -> Result<Document, ComposeStop> {
    let mut parser = Parser::new();
    parser.set_input(Cursor::new(text.as_bytes()));
    let mut composer = Composer {
        document: Document::default(),
        open: Vec::new(),
        anchors: HashMap::new(),
        documents: 0,
    };
    for event in parser {
        let event = event.map_err(ComposeStop::Syntax)?;
        composer.event(event).map_err(ComposeStop::Read)?;
    }
    Ok(composer.document)
}

/// libyaml's problem (a fixed phrase, never the text) and where it is.
fn syntax_error(
    text: &str,
    format: &'static str,
    error: &libyaml_safer::Error,
) -> TemplateReadError {
    let mark = error.problem_mark().map(Mark::from).unwrap_or_else(|| {
        // The reader's errors (a control character, bad UTF-8) have only a byte offset.
        let offset = text
            .char_indices()
            .map(|(at, _)| at)
            .find(|&at| !text[at..].starts_with(|c: char| is_printable(c)))
            .unwrap_or(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        Mark {
            line: text[..offset].matches('\n').count() + 1,
            column: text[line_start..offset].chars().count() + 1,
        }
    });
    let message = match error.context() {
        Some(context) => format!("{context}, {}", error.problem()),
        None => error.problem().to_owned(),
    };
    // A plain value holding `: ` or ending in `:` reads as a key: an ARN with a JSON key
    // (`...:secret:name:key::`) is the usual one.
    let hint = if format == "YAML" && message.contains("mapping values are not allowed") {
        "; a plain value holding \": \" or ending in \":\" reads as a key: quote the value (as in ValueFrom: \"arn:aws:secretsmanager:...:secret:name:key::\")"
    } else if error.problem() == INVALID_ESCAPE && format == "YAML" {
        "; in YAML a \\u escape is one code point, never half of a UTF-16 surrogate pair: write a character past U+FFFF as itself or as \\U and 8 hexadecimal digits (\\U0001F680)"
    } else if error.problem() == INVALID_ESCAPE {
        "; a \\u escape of a UTF-16 surrogate (D800 to DFFF) must be a high one followed by a low one, which stand for one character past U+FFFF: write the pair, or the character itself"
    } else {
        ""
    };
    TemplateReadError::Syntax {
        format,
        message,
        line: mark.line,
        column: mark.column,
        hint,
    }
}

/// What YAML 1.1 allows in a stream, as libyaml's reader checks it.
fn is_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{fffd}')
        || c >= '\u{10000}'
}

struct Composer {
    document: Document,
    /// The collections being filled, innermost last; a mapping with the key awaiting its value.
    open: Vec<(NodeId, Option<NodeId>)>,
    /// Anchor names, to the node each names.
    anchors: HashMap<String, NodeId>,
    documents: usize,
}

impl Composer {
    fn event(&mut self, event: libyaml_safer::Event) -> Result<(), TemplateReadError> {
        let mark = Mark::from(event.start_mark);
        match event.data {
            EventData::DocumentStart { .. } => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(refused(
                        mark,
                        "a second document: a template is one YAML document",
                    ));
                }
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                ..
            } => {
                // PyYAML's composer: an untagged scalar, or one tagged with the non-specific `!`,
                // is resolved by its text when libyaml says it may be (`! "123"` is 123).
                let tag = match tag.as_deref() {
                    None | Some("!") if plain_implicit => Tag::from_plain(resolve_plain(&value)),
                    None | Some("!") => Tag::Str,
                    Some(full) => Tag::from_full(full),
                };
                let id = self.add(Content::Scalar(value), tag, mark, anchor)?;
                self.attach(id);
            }
            EventData::SequenceStart { anchor, tag, .. } => {
                let tag = collection_tag(tag.as_deref(), Tag::Seq);
                let id = self.add(Content::Sequence(Vec::new()), tag, mark, anchor)?;
                self.open_collection(id)?;
            }
            EventData::MappingStart { anchor, tag, .. } => {
                let tag = collection_tag(tag.as_deref(), Tag::Map);
                let id = self.add(Content::Mapping(Vec::new()), tag, mark, anchor)?;
                self.open_collection(id)?;
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                self.open.pop();
            }
            EventData::Alias { anchor } => {
                let Some(&id) = self.anchors.get(&anchor) else {
                    return Err(refused(mark, "an alias that names no anchor before it"));
                };
                if self.open.iter().any(|&(open, _)| open == id) {
                    return Err(refused(
                        mark,
                        "an alias inside the node its anchor names (a node cannot hold itself)",
                    ));
                }
                self.attach(id);
            }
            EventData::StreamStart { .. }
            | EventData::StreamEnd
            | EventData::DocumentEnd { .. } => {}
        }
        Ok(())
    }

    fn add(
        &mut self,
        content: Content,
        tag: Tag,
        mark: Mark,
        anchor: Option<String>,
    ) -> Result<NodeId, TemplateReadError> {
        let id = self.document.nodes.len();
        let anchored = anchor.is_some();
        if let Some(anchor) = anchor {
            if let Some(&first) = self.anchors.get(&anchor) {
                let first = self.document.nodes[first].mark;
                return Err(refused(
                    mark,
                    &format!(
                        "an anchor name given a second time (first at line {} column {})",
                        first.line, first.column
                    ),
                ));
            }
            self.anchors.insert(anchor, id);
        }
        self.document.nodes.push(Node {
            content,
            tag,
            mark,
            anchored,
        });
        Ok(id)
    }

    fn open_collection(&mut self, id: NodeId) -> Result<(), TemplateReadError> {
        self.attach(id);
        self.open.push((id, None));
        if self.open.len() > MAX_COMPOSE_DEPTH {
            // Named where the constructed template first goes too deep, as `construct` would.
            let first_too_deep = self.open[MAX_DEPTH].0;
            return Err(refused(
                self.document.nodes[first_too_deep].mark,
                &format!(
                    "nested deeper than {} levels, more than the macro reads CloudFormation's JSON to",
                    MAX_DEPTH
                ),
            ));
        }
        Ok(())
    }

    fn attach(&mut self, child: NodeId) {
        let Some((parent, pending_key)) = self.open.last_mut() else {
            self.document.root = Some(child);
            return;
        };
        match &mut self.document.nodes[*parent].content {
            Content::Sequence(items) => items.push(child),
            Content::Mapping(entries) => match pending_key.take() {
                Some(key) => entries.push((key, child)),
                None => *pending_key = Some(child),
            },
            Content::Scalar(_) => unreachable!("only collections are open"),
        }
    }
}

fn collection_tag(tag: Option<&str>, default: Tag) -> Tag {
    match tag {
        None | Some("!") => default,
        Some(full) => Tag::from_full(full),
    }
}

fn refused(mark: Mark, why: &str) -> TemplateReadError {
    TemplateReadError::Refused {
        place: format!("line {} column {}", mark.line, mark.column),
        why: why.to_owned(),
    }
}
