//! Problems found in a template, collected so that all of them are reported together.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// How many problems a message lists, and how long a line may be: the message must fit in a
/// Lambda response (6 MB) and stay readable, whatever the template.
pub const MAX_PROBLEMS_SHOWN: usize = 100;
pub const MAX_LINE_CHARS: usize = 1000;

/// One problem, with the place in the template it concerns
/// (`Resources.X.Properties.Y`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Every problem found in a template, in the order found, each reported once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    list: Vec<Arc<Problem>>,
    /// The problems of `list`, so that a template with many problems is not quadratic; shared
    /// with it, not copied (15,100 problems of a 5 MB request took about 4 MB with copies).
    seen: HashSet<Arc<Problem>>,
    /// What a user should know of a template that still expands (an image pulled from any
    /// repository): printed by `expand` on standard error, never a reason to refuse.
    notes: Vec<Problem>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem; the same place and message twice (a global value inherited by
    /// several resources) is recorded once.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let problem = Arc::new(Problem {
            path: path.into(),
            message: message.into(),
        });
        if self.seen.insert(Arc::clone(&problem)) {
            self.list.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Records a note, once for the same place and text.
    pub fn note(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let note = Problem {
            path: path.into(),
            message: message.into(),
        };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// The notes recorded, taken out.
    pub fn take_notes(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.notes)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter().map(|problem| &**problem)
    }

    /// `Ok(value)` when nothing was found, else every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The first `MAX_PROBLEMS_SHOWN` problems, each line cut at `MAX_LINE_CHARS` characters.
impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.list.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "Buildkite-Agents found {count} {noun} in the template:")?;
        for problem in self.list.iter().take(MAX_PROBLEMS_SHOWN) {
            let line = problem.to_string();
            match line.char_indices().nth(MAX_LINE_CHARS) {
                Some((cut, _)) => write!(f, "\n{}...", &line[..cut])?,
                None => write!(f, "\n{line}")?,
            }
        }
        if count > MAX_PROBLEMS_SHOWN {
            write!(f, "\n... and {} more", count - MAX_PROBLEMS_SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Shows a value the user wrote literally, short and on one line, for an error message: a long
/// one keeps its start and its end (where a pasted value usually goes wrong), and whitespace at
/// either end, invisible once quoted, is named.
/// Never called on a parameter's value: those are described by the parameter's name.
pub fn show_literal(value: &serde_json::Value) -> String {
    const LIMIT: usize = 64;
    const KEPT: usize = 30;
    let shortened = |text: &str| -> Option<String> {
        let count = text.chars().count();
        (count > LIMIT).then(|| {
            let start: String = text.chars().take(KEPT).collect();
            let end: String = text.chars().skip(count - KEPT).collect();
            format!("{start}\u{2026}{end}")
        })
    };
    match value {
        serde_json::Value::String(text) => {
            let shown = match shortened(text) {
                // Quoted as JSON, the marker between the two ends stays one character.
                Some(cut) => serde_json::Value::String(cut).to_string(),
                None => value.to_string(),
            };
            format!("{shown}{}", whitespace_note(text))
        }
        other => {
            let text = other.to_string();
            shortened(&text).unwrap_or(text)
        }
    }
}

/// " (with a trailing space)" and the like, when `text` starts or ends with whitespace; else "".
/// Says which character without showing the text, so it may follow a parameter's name.
pub fn whitespace_note(text: &str) -> String {
    let name = |c: char| match c {
        ' ' => "space",
        '\t' => "tab",
        '\n' | '\r' => "line break",
        _ => "whitespace character",
    };
    let leading = text.chars().next().filter(|c| c.is_whitespace());
    let trailing = text.chars().next_back().filter(|c| c.is_whitespace());
    match (leading, trailing) {
        _ if text.trim().is_empty() => String::new(),
        (Some(first), Some(last)) => {
            format!(
                " (with a leading {} and a trailing {})",
                name(first),
                name(last)
            )
        }
        (Some(first), None) => format!(" (with a leading {})", name(first)),
        (None, Some(last)) => format!(" (with a trailing {})", name(last)),
        (None, None) => String::new(),
    }
}

/// Appends `[index]` to a path, without the formatting machinery of `write!`: paths are built
/// for every value a walk visits, though only a problem reads them.
pub fn push_index(path: &mut String, index: usize) {
    // The decimal digits, written from the last.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = index;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    path.push('[');
    path.extend(digits[start..].iter().map(|&digit| char::from(digit)));
    path.push(']');
}

/// `parent.key`, in one allocation of the right size and without `format!`'s machinery: the
/// readers build a path for every value they read, though only a problem reads it.
pub fn member_path(parent: &str, key: &str) -> String {
    let mut path = String::with_capacity(parent.len() + 1 + key.len());
    path.push_str(parent);
    path.push('.');
    path.push_str(key);
    path
}

/// The known name nearest to `unknown`, if one is near enough to be what was meant.
pub fn nearest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let lowered = unknown.to_ascii_lowercase();
    known
        .iter()
        .map(|name| {
            (
                strsim::levenshtein(&lowered, &name.to_ascii_lowercase()),
                *name,
            )
        })
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// "unknown X; did you mean Y?" or "unknown X".
pub fn unknown_name_message(what: &str, unknown: &str, known: &[&str]) -> String {
    match nearest(unknown, known) {
        Some(name) => format!("unknown {what}; did you mean {name}?"),
        None => format!("unknown {what}; expected one of {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem_under_a_counted_header() {
        let mut problems = Problems::new();
        problems.push("Resources.A.Properties.Image", "is required");
        problems.push("Resources.B.Properties.TaskCpu", "bad");
        problems.push("Resources.A.Properties.Image", "is required");
        assert_eq!(
            problems.to_string(),
            "Buildkite-Agents found 2 problems in the template:\n\
             Resources.A.Properties.Image: is required\n\
             Resources.B.Properties.TaskCpu: bad"
        );
    }

    #[test]
    fn a_message_lists_a_bounded_number_of_bounded_lines() {
        let mut problems = Problems::new();
        for index in 0..20_000 {
            problems.push(
                format!("Resources.A{index}.{}", "k".repeat(5000)),
                "is wrong",
            );
        }
        problems.push("Resources.A0.Properties", "again");
        problems.push("Resources.A0.Properties", "again");
        assert_eq!(problems.len(), 20_001);
        let text = problems.to_string();
        assert!(text.starts_with(
            "Buildkite-Agents found 20001 problems in the template:\nResources.A0.kkk"
        ));
        assert!(
            text.ends_with("\n... and 19901 more"),
            "{}",
            &text[text.len() - 100..]
        );
        assert_eq!(text.lines().count(), 1 + MAX_PROBLEMS_SHOWN + 1);
        assert!(
            text.lines()
                .all(|line| line.chars().count() <= MAX_LINE_CHARS + 3)
        );
    }

    #[test]
    fn appends_an_index_in_brackets() {
        let mut path = String::from("Resources.A.Properties.Secrets");
        for index in [0, 7, 10, 4096, usize::MAX] {
            let before = path.len();
            push_index(&mut path, index);
            assert_eq!(path[before..], format!("[{index}]"));
        }
    }

    #[test]
    fn suggests_the_nearest_name_only_when_near() {
        let known = ["TaskMemory", "TaskCpu", "Image"];
        assert_eq!(nearest("TaskMemroy", &known), Some("TaskMemory"));
        assert_eq!(nearest("image", &known), Some("Image"));
        assert_eq!(nearest("Colour", &known), None);
    }

    #[test]
    fn shortens_long_literals_keeping_both_ends() {
        let long = serde_json::Value::String("x".repeat(200));
        assert!(show_literal(&long).chars().count() < 80);
        assert_eq!(show_literal(&serde_json::json!(8192)), "8192");
        // Issue 20: a JSON-key ARN cut at 64 characters hid the part that was wrong.
        let arn = serde_json::json!(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/db-AbC123:password:AWSCURRENT"
        );
        assert_eq!(
            show_literal(&arn),
            "\"arn:aws:secretsmanager:us-east\u{2026}/db-AbC123:password:AWSCURRENT\""
        );
    }

    #[test]
    fn names_whitespace_at_either_end() {
        let shown = |text: &str| show_literal(&serde_json::json!(text));
        assert_eq!(shown("token "), "\"token \" (with a trailing space)");
        assert_eq!(shown("\ttoken"), "\"\\ttoken\" (with a leading tab)");
        assert_eq!(
            shown(" token\n"),
            "\" token\\n\" (with a leading space and a trailing line break)"
        );
        assert_eq!(shown("to ken"), "\"to ken\"");
        assert_eq!(shown(" "), "\" \"");
    }
}
