//! The Buildkite agent's own settings, declared as properties.
