# The grants of values the macro cannot see, evaluated rather than read (docs/developing.md):
#   make moto-grants   an !ImportValue agent token as a name, a /path and an ARN of another region
#                      and account, and the Secrets !Sub forms, each exported by one stack and
#                      read by another that moto's CloudFormation creates from the binary's
#                      expansion; the execution role's policy, read back with iam.get_role_policy,
#                      must name exactly those parameters and secrets; ECR images given as !Ref
#                      parameters and !Subs of imports must be pulled from exactly their
#                      repositories, logs written to exactly the task's log group, and a
#                      signing key from a parameter or !Sub granted on exactly that key or alias,
#                      an imported artifacts bucket on exactly its prefix
#                      (tests/moto/prove_grants.py); then examples/conditions.yaml, deployed with
#                      its parameters each of the four ways: a secret under a condition is granted
#                      only when it holds, and the task role exists only when the stack brings none.
#                      In-process, fake credentials, every network connection refused.
# `make test` runs it.
VENV ?= .venv
MOTO_PYTHON := $(VENV)/moto/bin/python
# The debug binary `cargo test` has built already; `expand` is what the Lambda runs.
MOTO_MACRO := $${CARGO_TARGET_DIR:-target}/debug/buildkite-ecs-macro

TEST_TARGETS += moto-grants

.PHONY: moto-grants

moto-grants: $(VENV)/moto/ready
	$(CARGO) build --locked --quiet --bin buildkite-ecs-macro
	timeout 120 $(MOTO_PYTHON) tests/moto/prove_grants.py --macro $(MOTO_MACRO)
