# The pre-commit hooks this repository offers (.pre-commit-hooks.yaml, docs/tools.md):
#   make pre-commit-hooks   each hook's entry run as pre-commit runs it, with the debug binary,
#                           cfn-lint and the rules laid out as pyproject.toml's wheel lays them
#                           out, on tests/pre-commit/ and a few templates of the repository
#                           (tests/pre-commit/check_hooks.py). Offline, about 4 s; pre-commit
#                           itself is not run (its install fetches crates and PyPI packages).
# `make test` runs it.
VENV ?= .venv
HOOKS_PYTHON := $(VENV)/lint/bin/python
# The debug binary `cargo test` has built already.
HOOKS_MACRO := $${CARGO_TARGET_DIR:-target}/debug/buildkite-ecs-macro

TEST_TARGETS += pre-commit-hooks

.PHONY: pre-commit-hooks

pre-commit-hooks: $(VENV)/lint/ready
	$(CARGO) build --locked --quiet --bin buildkite-ecs-macro
	$(HOOKS_PYTHON) tests/pre-commit/check_hooks.py --binary $(HOOKS_MACRO)
