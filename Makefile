# `make test` is the one command that checks everything; CI runs it from a clean clone.
# Tool set-up and the deploy path live in mk/*.mk so each concern reads on its own.
.DEFAULT_GOAL := test
CARGO ?= cargo

.PHONY: test rust-test lint
test: lint rust-test

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

rust-test:
	$(CARGO) test --locked

include $(wildcard mk/*.mk)
