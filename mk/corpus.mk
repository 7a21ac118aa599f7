# Reading templates as CloudFormation does (docs/developing.md):
#   make corpus-check   every template of tests/corpus/templates (308 real ones) and every edge case
#                       of tests/corpus/fixtures through the built binary and AWS's cfn-lint decoder,
#                       by tests/corpus/check.py: expand reads each as the decoder does (or refuses
#                       what it refuses, naming the line), invoke gives it back unchanged, and with a
#                       Buildkite resource added, with only its four resources added; expand's YAML
#                       reads back the same
# `make test` runs it.
VENV ?= .venv
CORPUS_PYTHON := $(VENV)/lint/bin/python
# The debug binary `cargo test` has built already.
CORPUS_MACRO := $${CARGO_TARGET_DIR:-target}/debug/buildkite-ecs-macro

TEST_TARGETS += corpus-check

.PHONY: corpus-check

corpus-check: $(VENV)/lint/ready
	$(CARGO) build --locked --quiet --bin buildkite-ecs-macro
	$(CORPUS_PYTHON) tests/corpus/check.py --binary $(CORPUS_MACRO) \
		--fixtures tests/corpus/fixtures tests/corpus/templates
