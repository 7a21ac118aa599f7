# The deploy path (template.yaml, docs/deploying.md):
#   make sam-build      sam build, which runs build-TransformFunction below: no Docker, no AWS account
#   make sam-validate   sam validate --lint, offline, and cfn-lint on template.yaml; its
#                       SemanticVersion must be Cargo.toml's version
#   make lambda-e2e     the sam-built bootstrap run as a Lambda under cargo lambda's Runtime API
#                       emulator on 127.0.0.1, sent real macro events (tests/lambda_e2e.rs)
# `make test` runs all three (deploy-check).
# mk/tools.mk (included after this file) sets these too; targets below need them now.
VENV ?= .venv
PYTHON ?= python3
SAM_CLI := $(VENV)/sam/bin/sam
CARGO_LAMBDA := $(VENV)/lambda/bin/cargo-lambda
DEPLOY_CFN_LINT := $(VENV)/lint/bin/cfn-lint
SAM_BUILD_DIR := .aws-sam/build
BOOTSTRAP := $(SAM_BUILD_DIR)/TransformFunction/bootstrap
RELEASE_BIN := $(or $(CARGO_TARGET_DIR),target)/release/buildkite-ecs-macro
RELEASE_SYMBOLS := $(RELEASE_BIN).dynamic-symbols
# provided.al2023 has glibc 2.34: the bootstrap may need no symbol version newer than that.
MAX_GLIBC := 2.34
export ZIG_GLOBAL_CACHE_DIR := $(CURDIR)/.cache/zig

TEST_TARGETS += deploy-check

.PHONY: deploy-check sam-build sam-validate lambda-e2e build-TransformFunction

deploy-check: sam-validate lambda-e2e

# cargo-lambda's wheel pulls in ziglang (about 450 MB) for cross-compiling, which the emulator
# does not use: install it alone. Its lock (requirements/lambda.txt, `make lock` with --no-deps) holds
# exactly cargo-lambda, hashed, and PIP_LOCKED_INSTALL has --no-deps; no `pip check`, which would
# miss ziglang. (This explicit rule wins over mk/tools.mk's pattern rule; check-python and
# PIP_LOCKED_INSTALL are defined there.)
$(VENV)/lambda/ready: requirements/lambda.txt requirements/lambda.in
	$(check-python)
	$(call check-lock,requirements/lambda.in,$<)
	rm -rf $(VENV)/lambda
	$(PYTHON) -m venv $(VENV)/lambda
	$(VENV)/lambda/bin/$(PIP_LOCKED_INSTALL) -r $<
	touch $@

sam-build: $(VENV)/sam/ready
	$(SAM_CLI) build --build-in-source --template-file template.yaml --build-dir $(SAM_BUILD_DIR)

sam-validate: $(VENV)/sam/ready $(VENV)/lint/ready
	$(SAM_CLI) validate --lint --template-file template.yaml
	$(DEPLOY_CFN_LINT) template.yaml
	@version=$$(sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | sed -n 1p); \
	grep -q "^    SemanticVersion: $$version$$" template.yaml \
		|| { echo "template.yaml's SemanticVersion is not Cargo.toml's version, $$version" >&2; exit 1; }

# SAM calls this (Metadata: BuildMethod: makefile) with ARTIFACTS_DIR set. The bootstrap must run
# on Amazon Linux 2023 for x86_64: the build fails on another architecture or a newer glibc.
build-TransformFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-TransformFunction: ARTIFACTS_DIR is not set (sam build sets it; try make sam-build)" >&2; exit 1; }
	$(CARGO) build --release --locked --bin buildkite-ecs-macro
	objdump -f $(RELEASE_BIN) | grep -q 'file format elf64-x86-64' \
		|| { echo "$(RELEASE_BIN) is not an x86_64 ELF binary" >&2; exit 1; }
	objdump -T $(RELEASE_BIN) > $(RELEASE_SYMBOLS)
	@newest=$$(grep -o 'GLIBC_[0-9][0-9.]*' $(RELEASE_SYMBOLS) | sed 's/^GLIBC_//' | sort -u -V | tail -n 1); \
	echo "bootstrap: $$(wc -c < $(RELEASE_BIN)) bytes; newest glibc symbol version: GLIBC_$${newest:-none}"; \
	if [ -n "$$newest" ] && [ "$$(printf '%s\n%s\n' "$$newest" "$(MAX_GLIBC)" | sort -V | tail -n 1)" != "$(MAX_GLIBC)" ]; then \
		echo "the bootstrap needs GLIBC_$$newest, newer than the $(MAX_GLIBC) of provided.al2023:" >&2; \
		grep "GLIBC_$$newest" $(RELEASE_SYMBOLS) >&2; \
		exit 1; \
	fi
	mkdir -p "$(ARTIFACTS_DIR)"
	cp $(RELEASE_BIN) "$(ARTIFACTS_DIR)/bootstrap"

lambda-e2e: sam-build $(VENV)/lambda/ready
	E2E_BOOTSTRAP=$(CURDIR)/$(BOOTSTRAP) E2E_CARGO_LAMBDA=$(CURDIR)/$(CARGO_LAMBDA) \
		$(CARGO) test --locked --test lambda_e2e -- --ignored --nocapture
