# `make test` is the one command that checks everything; CI runs it from a clean clone.
# Tool set-up and the deploy path live in mk/*.mk so each concern reads on its own.
.DEFAULT_GOAL := test
CARGO ?= cargo

# Each mk/*.mk adds its checks to TEST_TARGETS; they run after the Rust checks.
TEST_TARGETS :=
include $(wildcard mk/*.mk)

.PHONY: test rust-test lint
test: lint rust-test $(TEST_TARGETS)

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

rust-test:
	$(CARGO) test --locked
