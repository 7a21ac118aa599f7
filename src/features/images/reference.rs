//! Whether an image is a reference a registry can serve, by the grammar Docker reads
//! (distribution/reference, `reference.go` and `regexp.go`):
//!
//! ```text
//! reference  := name [":" tag] ["@" digest]
//! name       := [domain "/"] path-component ["/" path-component]*
//! domain     := host [":" port]              (a host with a dot or a port, or [IPv6])
//! path-component := [a-z0-9]+ (separator [a-z0-9]+)*    separator := [._] | __ | -+
//! tag        := [\w][\w.-]{0,127}
//! digest     := algorithm ":" [0-9a-fA-F]{32,}  algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.] ...)*
//! ```
//!
//! A first component without a dot or a port is a Docker Hub namespace, as Docker splits it.
//! An image computed at deploy time (a `!Sub`) is read as its literal text around holes that
//! may hold anything: it is refused only when no value of its variables makes it a reference.

use std::borrow::Cow;
use std::sync::OnceLock;

/// One stretch of an image as written: literal text, or a hole filled when the stack deploys.
#[derive(Debug, Clone)]
pub enum Stretch<'a> {
    Text(Cow<'a, str>),
    Hole,
}

/// Why an image is no reference, each reason with its fix, and for literal text the
/// corrected image when every reason has a mechanical fix.
#[derive(Debug, PartialEq)]
pub struct NotAReference {
    pub reasons: Vec<String>,
    pub corrected: Option<String>,
}

/// A tag's most characters (`[\w][\w.-]{0,127}`).
const MAX_TAG: usize = 128;
/// ECS's most characters in an image, before a digest's `@` when there is one (ECS API
/// reference, `ContainerDefinition.image`); Docker's limit on a name is the same.
const MAX_BEFORE_DIGEST: usize = 255;
/// The one digest ECS takes: sha256, exactly 64 hex digits (`ContainerDefinition.image`).
const SHA256_HEX: usize = 64;

const GRAMMAR: &str = "an image is [<registry>[:<port>]/]<repository>[:<tag>][@<algorithm>:<hex digest>], the repository's parts lower-case letters and digits joined by ., _, __ or -";

fn is_reference(text: &str) -> bool {
    may_match(&[Stretch::Text(Cow::Borrowed(text))]) && length_reasons(text).is_empty()
}

/// Checks literal text: `Err` with every reason it is not a reference.
pub fn check_text(text: &str) -> Result<(), NotAReference> {
    check(&[Stretch::Text(Cow::Borrowed(text))])
}

/// Checks an image of literal stretches and holes.
pub fn check(stretches: &[Stretch<'_>]) -> Result<(), NotAReference> {
    if may_match(stretches) {
        if let [Stretch::Text(text)] = stretches {
            let reasons = length_reasons(text);
            if !reasons.is_empty() {
                return Err(NotAReference {
                    reasons,
                    corrected: None,
                });
            }
        }
        return Ok(());
    }
    Err(match stretches {
        [Stretch::Text(text)] => diagnose_text(text),
        _ => diagnose_stretches(stretches),
    })
}

/// The reasons literal text is no reference, fixed one after another where a fix is sure.
fn diagnose_text(text: &str) -> NotAReference {
    if text.trim().is_empty() {
        return NotAReference {
            reasons: vec!["it holds only white space: name an image".to_owned()],
            corrected: None,
        };
    }
    let mut reasons = Vec::new();
    let mut fixed = text.trim().to_owned();
    if fixed.len() != text.len() {
        reasons.push(
            "white space at either end goes to the registry as written: remove it".to_owned(),
        );
    }
    if let Some(command) = command_prefix(&fixed) {
        reasons.push(format!("remove the `{command}` command"));
        fixed = fixed[command.len()..].trim_start().to_owned();
    }
    let without_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| fixed.strip_prefix(scheme))
        .map(str::to_owned);
    let had_scheme = without_scheme.is_some();
    if let Some(rest) = without_scheme {
        fixed = rest;
    }
    if let Some(page) = docker_hub_page(&fixed) {
        reasons.push(
            "it is the address of the image's Docker Hub page, not a reference to the image"
                .to_owned(),
        );
        fixed = page;
    } else if had_scheme {
        reasons.push("an image reference has no scheme: remove it".to_owned());
    }
    let inner_space = fixed.contains(char::is_whitespace);
    if inner_space {
        reasons.push("no part of an image reference holds white space".to_owned());
    }
    let (domain, rest) = split_domain(&fixed);
    let path_end = rest.find([':', '@']).unwrap_or(rest.len());
    let (path, after_path) = rest.split_at(path_end);
    if path.contains(|c: char| c.is_ascii_uppercase()) {
        reasons.push("repository names are lower case".to_owned());
    }
    let path = path.to_ascii_lowercase();
    let mut after_path = after_path.to_owned();
    if let Some(tag) = after_path.strip_prefix(':') {
        let tag_end = tag.find('@').unwrap_or(tag.len());
        if tag[..tag_end].contains(':') {
            reasons.push(
                "a tag follows the first colon and holds no other (letters, digits, _, . and -)"
                    .to_owned(),
            );
            after_path = format!(":{}{}", tag[..tag_end].replace(':', "-"), &tag[tag_end..]);
        }
    }
    let fixed = format!("{domain}{path}{after_path}");
    let corrected = (!reasons.is_empty() && !inner_space && is_reference(&fixed)).then_some(fixed);
    if reasons.is_empty() {
        reasons.push(GRAMMAR.to_owned());
    }
    NotAReference { reasons, corrected }
}

/// The reasons an image with holes is no reference, read from its literal stretches.
fn diagnose_stretches(stretches: &[Stretch<'_>]) -> NotAReference {
    let texts = || {
        stretches.iter().filter_map(|stretch| match stretch {
            Stretch::Text(text) => Some(text.as_ref()),
            Stretch::Hole => None,
        })
    };
    let mut reasons = Vec::new();
    let starts_with_space =
        matches!(stretches.first(), Some(Stretch::Text(t)) if t.starts_with(char::is_whitespace));
    let ends_with_space =
        matches!(stretches.last(), Some(Stretch::Text(t)) if t.ends_with(char::is_whitespace));
    if starts_with_space || ends_with_space {
        reasons.push(
            "white space at either end goes to the registry as written: remove it".to_owned(),
        );
    }
    if let Some(Stretch::Text(first)) = stretches.first()
        && let Some(command) = command_prefix(first.trim_start())
    {
        reasons.push(format!("remove the `{command}` command"));
    }
    if texts().any(|text| text.contains("://")) {
        reasons.push("an image reference has no scheme: remove it".to_owned());
    }
    if texts().any(|text| text.trim().contains(char::is_whitespace)) {
        reasons.push("no part of an image reference holds white space".to_owned());
    }
    // Text after a slash is in the repository until a tag's colon or a digest's @.
    let upper_case_repository = texts().any(|text| {
        text.split_once('/').is_some_and(|(_, after)| {
            after
                .split([':', '@'])
                .next()
                .is_some_and(|path| path.contains(|c: char| c.is_ascii_uppercase()))
        })
    });
    if upper_case_repository {
        reasons.push("repository names are lower case".to_owned());
    }
    if reasons.is_empty() {
        reasons.push(format!(
            "whatever its variables hold, the text around them makes no image reference: {GRAMMAR}"
        ));
    }
    NotAReference {
        reasons,
        corrected: None,
    }
}

/// A shell command pasted before the image.
fn command_prefix(text: &str) -> Option<&'static str> {
    [
        "docker image pull ",
        "docker pull ",
        "docker run ",
        "podman pull ",
    ]
    .into_iter()
    .find(|command| text.starts_with(command))
}

/// `postgres` from `hub.docker.com/_/postgres`, `org/app` from `hub.docker.com/r/org/app`.
fn docker_hub_page(text: &str) -> Option<String> {
    let page = text
        .strip_prefix("hub.docker.com/")
        .or_else(|| text.strip_prefix("www.hub.docker.com/"))?;
    let repository = page
        .strip_prefix("_/")
        .or_else(|| page.strip_prefix("r/"))?
        .trim_end_matches('/');
    let repository = repository.strip_prefix("library/").unwrap_or(repository);
    (!repository.is_empty()).then(|| repository.to_owned())
}

/// `("registry.example.com/", "ci/ruby:3")`: the registry with its slash, and the rest. A
/// first component names a registry when it has a dot or a port, is `localhost`, or is `[IPv6]`.
pub fn split_domain(text: &str) -> (&str, &str) {
    match text.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':']) || first == "localhost" || first.starts_with('[') =>
        {
            text.split_at(first.len() + 1)
        }
        _ => ("", text),
    }
}

/// The limits a finite automaton does not count (a tag's length) and ECS's own: its length
/// and digest.
fn length_reasons(text: &str) -> Vec<String> {
    // Without a digest, a text of at most a tag's length has no part over any limit here.
    if text.len() <= MAX_TAG && !text.contains('@') {
        return Vec::new();
    }
    let (before_digest, digest) = match text.split_once('@') {
        Some((before, digest)) => (before, Some(digest)),
        None => (text, None),
    };
    let mut reasons = Vec::new();
    // A text has no more characters than bytes, so a short one is not counted.
    if before_digest.len() > MAX_BEFORE_DIGEST && before_digest.chars().count() > MAX_BEFORE_DIGEST
    {
        reasons.push(format!(
            "ECS takes an image of at most {MAX_BEFORE_DIGEST} characters (before the @ of a digest)"
        ));
    }
    let (_, rest) = split_domain(before_digest);
    if let Some((_, tag)) = rest.split_once(':')
        && tag.len() > MAX_TAG
    {
        reasons.push(format!("a tag is at most {MAX_TAG} characters"));
    }
    if let Some(digest) = digest
        && digest
            .strip_prefix("sha256:")
            .is_none_or(|hex| hex.len() != SHA256_HEX)
    {
        reasons.push(format!(
            "ECS takes a digest of sha256 and exactly {SHA256_HEX} hex digits: copy it whole"
        ));
    }
    reasons
}

// The grammar as a nondeterministic automaton: a set of states, one bit each.
const HOST_START: u32 = 1 << 0;
const HOST: u32 = 1 << 1;
const HOST_HYPHEN: u32 = 1 << 2;
const DOTTED_START: u32 = 1 << 3;
const DOTTED: u32 = 1 << 4;
const DOTTED_HYPHEN: u32 = 1 << 5;
const IPV6_OPEN: u32 = 1 << 6;
const IPV6: u32 = 1 << 7;
const IPV6_CLOSED: u32 = 1 << 8;
const PORT_START: u32 = 1 << 9;
const PORT: u32 = 1 << 10;
const PATH_START: u32 = 1 << 11;
const PATH: u32 = 1 << 12;
const SEPARATED: u32 = 1 << 13;
const UNDERSCORE: u32 = 1 << 14;
const HYPHENS: u32 = 1 << 15;
const TAG_START: u32 = 1 << 16;
const TAG: u32 = 1 << 17;
const ALGORITHM_START: u32 = 1 << 18;
const ALGORITHM: u32 = 1 << 19;
const HEX_START: u32 = 1 << 20;
const HEX: u32 = 1 << 21;
const STATES: u32 = 22;

const START: u32 = HOST_START | IPV6_OPEN | PATH_START;
const ACCEPTING: u32 = PATH | TAG | HEX;

/// The states one state goes to on byte `c`.
fn step(state: u32, c: u8) -> u32 {
    let alnum = c.is_ascii_alphanumeric();
    let lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    let word = alnum || c == b'_';
    let pick = |cases: &[(bool, u32)]| {
        cases
            .iter()
            .filter(|(when, _)| *when)
            .fold(0, |a, (_, s)| a | s)
    };
    match state {
        HOST_START => pick(&[(alnum, HOST)]),
        HOST => pick(&[
            (alnum, HOST),
            (c == b'-', HOST_HYPHEN),
            (c == b'.', DOTTED_START),
            (c == b':', PORT_START),
        ]),
        HOST_HYPHEN => pick(&[(alnum, HOST), (c == b'-', HOST_HYPHEN)]),
        DOTTED_START => pick(&[(alnum, DOTTED)]),
        DOTTED => pick(&[
            (alnum, DOTTED),
            (c == b'-', DOTTED_HYPHEN),
            (c == b'.', DOTTED_START),
            (c == b':', PORT_START),
            (c == b'/', PATH_START),
        ]),
        DOTTED_HYPHEN => pick(&[(alnum, DOTTED), (c == b'-', DOTTED_HYPHEN)]),
        IPV6_OPEN => pick(&[(c == b'[', IPV6)]),
        IPV6 => pick(&[
            (c.is_ascii_hexdigit() || c == b':', IPV6),
            (c == b']', IPV6_CLOSED),
        ]),
        IPV6_CLOSED => pick(&[(c == b':', PORT_START), (c == b'/', PATH_START)]),
        PORT_START => pick(&[(c.is_ascii_digit(), PORT)]),
        PORT => pick(&[(c.is_ascii_digit(), PORT), (c == b'/', PATH_START)]),
        PATH_START | SEPARATED => pick(&[(lower, PATH)]),
        PATH => pick(&[
            (lower, PATH),
            (c == b'.', SEPARATED),
            (c == b'_', UNDERSCORE),
            (c == b'-', HYPHENS),
            (c == b'/', PATH_START),
            (c == b':', TAG_START),
            (c == b'@', ALGORITHM_START),
        ]),
        UNDERSCORE => pick(&[(lower, PATH), (c == b'_', SEPARATED)]),
        HYPHENS => pick(&[(lower, PATH), (c == b'-', HYPHENS)]),
        TAG_START => pick(&[(word, TAG)]),
        TAG => pick(&[
            (word || c == b'.' || c == b'-', TAG),
            (c == b'@', ALGORITHM_START),
        ]),
        ALGORITHM_START => pick(&[(c.is_ascii_alphabetic(), ALGORITHM)]),
        ALGORITHM => pick(&[
            (alnum, ALGORITHM),
            (matches!(c, b'-' | b'_' | b'+' | b'.'), ALGORITHM_START),
            (c == b':', HEX_START),
        ]),
        HEX_START | HEX => pick(&[(c.is_ascii_hexdigit(), HEX)]),
        _ => 0,
    }
}

/// [`step`] of each state on each ASCII byte, built once: `STEPS[state bit][byte]`.
type Steps = [[u32; 128]; STATES as usize];

fn steps() -> &'static Steps {
    static STEPS: OnceLock<Steps> = OnceLock::new();
    STEPS.get_or_init(|| {
        let mut steps = [[0; 128]; STATES as usize];
        for (bit, row) in steps.iter_mut().enumerate() {
            for (c, next) in (0u8..).zip(row.iter_mut()) {
                *next = step(1 << bit, c);
            }
        }
        steps
    })
}

/// The union of [`step`] over the states set in `states`, read from the table; a byte outside
/// ASCII matches nothing in any state (`step` tests only ASCII classes), so it leads nowhere.
fn step_all(states: u32, c: u8) -> u32 {
    let Some(column) = steps_column(c) else {
        return 0;
    };
    let steps = steps();
    let mut rest = states & ((1 << STATES) - 1);
    let mut next = 0;
    while rest != 0 {
        next |= steps[rest.trailing_zeros() as usize][column];
        rest &= rest - 1;
    }
    next
}

fn steps_column(c: u8) -> Option<usize> {
    c.is_ascii().then_some(usize::from(c))
}

/// Every state reachable from `states` by any text: what a hole may lead to.
fn after_any_text(mut states: u32) -> u32 {
    loop {
        let next = (0x21..0x7f).fold(states, |next, c| next | step_all(states, c));
        if next == states {
            return states;
        }
        states = next;
    }
}

/// Whether some value of the holes makes the stretches a reference (lengths aside). A byte
/// outside ASCII matches nothing.
fn may_match(stretches: &[Stretch<'_>]) -> bool {
    if let [Stretch::Text(text)] = stretches
        && let Some(sets) = start_sets()
    {
        return sets.states_after(text) & ACCEPTING != 0;
    }
    let mut states = START;
    for stretch in stretches {
        states = match stretch {
            Stretch::Text(text) => text.bytes().fold(states, step_all),
            Stretch::Hole => after_any_text(states),
        };
        if states == 0 {
            return false;
        }
    }
    states & ACCEPTING != 0
}

/// The sets of states literal text from [`START`] can reach, each with the set every ASCII byte
/// leads to (by [`step_all`], so it reads text as the automaton does), one lookup a byte.
struct StartSets {
    sets: Vec<u32>,
    next: Vec<[u16; 128]>,
}

/// More sets than literal text reaches in this grammar: past it, the automaton is stepped.
const MOST_SETS: usize = 1024;

fn start_sets() -> Option<&'static StartSets> {
    static SETS: OnceLock<Option<StartSets>> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut sets = vec![START];
        let mut next = Vec::new();
        while next.len() < sets.len() {
            let from = sets[next.len()];
            let mut row = [0; 128];
            for (c, to) in (0u8..).zip(row.iter_mut()) {
                let states = step_all(from, c);
                let index = match sets.iter().position(|&set| set == states) {
                    Some(index) => index,
                    None => {
                        sets.push(states);
                        sets.len() - 1
                    }
                };
                if sets.len() > MOST_SETS {
                    return None;
                }
                *to = u16::try_from(index).ok()?;
            }
            next.push(row);
        }
        Some(StartSets { sets, next })
    })
    .as_ref()
}

impl StartSets {
    /// The states `text` leads to from [`START`]; a byte outside ASCII leads nowhere.
    fn states_after(&self, text: &str) -> u32 {
        let mut at = 0;
        for c in text.bytes() {
            let Some(column) = steps_column(c) else {
                return 0;
            };
            at = usize::from(self.next[at][column]);
        }
        self.sets[at]
    }
}

#[cfg(test)]
mod tests;
