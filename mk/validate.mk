# Every example's expansion held to AWS's own validators (docs/developing.md):
#   make validate-examples   expand examples/*.yaml, then cfn-lint (strict types, I3042), checkov
#                            and parliament on each through tests/validators/validate.py
#   make validate-can-fail   the same wrapper must flag every fixture in tests/validators/broken/,
#                            each with the rule its name starts with
# `make test` runs both (validate).
VENV ?= .venv
VALIDATE_PYTHON := $(VENV)/lint/bin/python
VALIDATE_OUT := .cache/validate/examples
VALIDATE_EXAMPLES := $(wildcard examples/*.yaml)
# The debug binary `cargo test` has built already; `expand` is what the Lambda runs.
VALIDATE_MACRO := $${CARGO_TARGET_DIR:-target}/debug/buildkite-ecs-macro

TEST_TARGETS += validate

.PHONY: validate validate-examples validate-can-fail

validate: validate-examples validate-can-fail

validate-examples: $(VENV)/lint/ready $(VENV)/checkov/ready
	$(CARGO) build --locked --quiet --bin buildkite-ecs-macro
	rm -rf $(VALIDATE_OUT) && mkdir -p $(VALIDATE_OUT)
	@for example in $(VALIDATE_EXAMPLES); do \
		$(VALIDATE_MACRO) expand "$$example" --format json \
			> $(VALIDATE_OUT)/$$(basename "$$example" .yaml).json || exit 1; \
	done
	$(VALIDATE_PYTHON) tests/validators/validate.py --cfn-lint $(VENV)/lint/bin/cfn-lint \
		--checkov $(VENV)/checkov/bin/checkov --sources examples $(VALIDATE_OUT)/*.json

validate-can-fail: $(VENV)/lint/ready $(VENV)/checkov/ready
	$(VALIDATE_PYTHON) tests/validators/check_broken.py
