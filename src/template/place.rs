//! Where a value was written in the template (`Resources.A.Properties.Secrets[2].ValueFrom`),
//! kept as its parts and written out only when a problem names it: the readers note the place
//! of every value they read, though only a problem reads it.

use std::fmt;

/// The most steps below its start a place has. The readers go no deeper than a field of an
/// entry of a list in an entry (`Services[0].Environment[1].Name`: five steps), whatever the
/// template holds, since they descend only into the shapes the property table declares.
const MAX_STEPS: usize = 6;

/// A place in the template: written-out text (`Resources.A.Properties`, `Globals.TaskDefinition`,
/// `Parameters`, or a property's name standing for it) followed by keys and list indexes.
/// Copied freely: it borrows its text and allocates nothing until it is written out.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    start: &'a str,
    steps: [Step<'a>; MAX_STEPS],
    depth: usize,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    /// `.key`
    Key(&'a str),
    /// `[index]`
    Index(usize),
}

impl<'a> Place<'a> {
    /// The place written `text`, as it stands.
    pub fn at(text: &'a str) -> Self {
        Self {
            start: text,
            steps: [Step::Index(0); MAX_STEPS],
            depth: 0,
        }
    }

    /// `parent.key`, the parent written out.
    pub fn member(parent: &'a str, key: &'a str) -> Self {
        Self::at(parent).key(key)
    }

    /// This place's member `key`.
    pub fn key(self, key: &'a str) -> Self {
        self.then(Step::Key(key))
    }

    /// This place's entry `index`.
    pub fn index(self, index: usize) -> Self {
        self.then(Step::Index(index))
    }

    /// True when the place starts with the text `start` (the globals, say).
    pub fn starts_at(&self, start: &str) -> bool {
        self.start == start
    }

    fn then(mut self, step: Step<'a>) -> Self {
        assert!(
            self.depth < MAX_STEPS,
            "a place is at most {MAX_STEPS} steps below its start"
        );
        self.steps[self.depth] = step;
        self.depth += 1;
        self
    }
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.start)?;
        for step in &self.steps[..self.depth] {
            match step {
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Place({self})")
    }
}

impl From<Place<'_>> for String {
    fn from(place: Place<'_>) -> String {
        place.to_string()
    }
}

impl From<&Place<'_>> for String {
    fn from(place: &Place<'_>) -> String {
        place.to_string()
    }
}

/// The place of a value in a walk over values of any depth (the reference and condition
/// walks): each level of the walk holds its own step and refers to its parent's, so nothing
/// is written until a problem names the place.
#[derive(Clone, Copy)]
pub struct Trail<'a> {
    parent: Option<&'a Trail<'a>>,
    step: TrailStep<'a>,
}

#[derive(Clone, Copy)]
enum TrailStep<'a> {
    /// Written out: `Resources`, `Outputs`.
    Start(&'a str),
    /// `.key`
    Key(&'a str),
    /// `[index]`
    Index(usize),
}

impl<'a> Trail<'a> {
    /// The place written `text`, where a walk starts.
    pub fn start(text: &'a str) -> Self {
        Self {
            parent: None,
            step: TrailStep::Start(text),
        }
    }

    /// This place's member `key`.
    pub fn key<'k>(&'k self, key: &'k str) -> Trail<'k> {
        Trail {
            parent: Some(self),
            step: TrailStep::Key(key),
        }
    }

    /// This place's entry `index`.
    pub fn index(&self, index: usize) -> Trail<'_> {
        Trail {
            parent: Some(self),
            step: TrailStep::Index(index),
        }
    }
}

impl fmt::Display for Trail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}")?;
        }
        match self.step {
            TrailStep::Start(text) => f.write_str(text),
            TrailStep::Key(key) => write!(f, ".{key}"),
            TrailStep::Index(index) => write!(f, "[{index}]"),
        }
    }
}

impl From<&Trail<'_>> for String {
    fn from(trail: &Trail<'_>) -> String {
        trail.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_written_out_as_keys_and_indexes_after_its_start() {
        let property = Place::member("Resources.A.Properties", "Services");
        assert_eq!(property.to_string(), "Resources.A.Properties.Services");
        let deepest = property.index(0).key("Environment").index(12).key("Name");
        assert_eq!(
            deepest.to_string(),
            "Resources.A.Properties.Services[0].Environment[12].Name"
        );
        assert_eq!(
            Place::at("BuildkiteAgentImage").to_string(),
            "BuildkiteAgentImage"
        );
        assert!(property.starts_at("Resources.A.Properties"));
        assert!(!property.starts_at("Globals.TaskDefinition"));
    }

    #[test]
    fn a_trail_is_written_out_from_where_the_walk_started() {
        let resources = Trail::start("Resources");
        let resource = resources.key("A");
        let properties = resource.key("Properties");
        let entry = properties.index(3);
        let deeper = entry.key("Fn::If");
        assert_eq!(
            deeper.index(1).to_string(),
            "Resources.A.Properties[3].Fn::If[1]"
        );
        assert_eq!(String::from(&resources), "Resources");
    }
}
