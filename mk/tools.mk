# Python tools, each in its own project-local venv under .venv/, installed on first use from
# requirements/<tool>.txt: a lock with every package pinned and hashed, written by `make lock` from the
# top-level pins of requirements/<tool>.in. Caches stay inside the project's ignored .cache/.
PYTHON ?= python3
VENV := .venv
# The Python the locks are resolved for: pip installs a lock only where it was resolved.
LOCK_PYTHON := 3.11
LOCK_PLATFORM := x86_64-unknown-linux-gnu

export XDG_CACHE_HOME := $(CURDIR)/.cache
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0
export __SAM_CLI_APP_DIR := $(CURDIR)/.cache/sam
export AWS_DEFAULT_REGION ?= us-east-1

# The venv is made with $(PYTHON), which must be the Python the locks are for.
define check-python
@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(LOCK_PYTHON)".split("."))))' \
	|| { echo "$(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'), but requirements/*.txt are locked for CPython $(LOCK_PYTHON): use a $(LOCK_PYTHON) (PYTHON=python$(LOCK_PYTHON)), or change LOCK_PYTHON in mk/tools.mk and run make lock" >&2; exit 1; }
endef

# A lock must hold every top-level pin of its .in: an .in edited without `make lock` stops here.
define check-lock
@for pin in $$(sed -e 's/#.*//' -e 's/\[[^]]*\]//' $(1) | tr 'A-Z_' 'a-z-'); do \
	grep -qi "^$$pin " $(2) || { echo "$(2) does not hold $$pin, which $(1) asks for: run make lock" >&2; exit 1; }; \
done
endef

# `make .venv/lint/ready` builds the venv from requirements/lint.txt, and again when that file changes.
# --require-hashes: every package must be in the lock with its hash, so a fresh clone installs exactly
# what was tested. --no-deps: the lock is the whole set, so pip installs that list and resolves nothing
# (pip's resolver, in hash mode, refuses a dependency asked for with extras, such as aws-sam-cli's
# boto3-stubs[...]); `pip check` then proves every installed package's requirements are met.
# --only-binary: wheels only, so no sdist is built with build tools fetched unhashed (make lock
# checks that every locked version has a wheel).
PIP_LOCKED_INSTALL = pip install --quiet --require-hashes --only-binary :all: --no-deps
$(VENV)/%/ready: requirements/%.txt requirements/%.in
	$(check-python)
	$(call check-lock,requirements/$*.in,$<)
	rm -rf $(VENV)/$*
	$(PYTHON) -m venv $(VENV)/$*
	$(VENV)/$*/bin/$(PIP_LOCKED_INSTALL) -r $<
	$(VENV)/$*/bin/pip check
	touch $@

.PHONY: tools lock
tools: $(VENV)/lint/ready $(VENV)/checkov/ready $(VENV)/sam/ready $(VENV)/moto/ready $(VENV)/lambda/ready

# `make lock` writes requirements/<tool>.txt from requirements/<tool>.in with uv (pinned and hashed
# in requirements/lock-tools.txt), keeping every version already locked that the .in still allows;
# `make lock LOCK_FLAGS=--upgrade` takes the newest of everything, `LOCK_FLAGS='--upgrade-package X'`
# of X alone. The hashes cover every file of each version (all wheels and the sdist). A lock that
# comes out the same is left untouched, so its venv is not rebuilt. lambda is locked with --no-deps
# (see mk/deploy.mk).
LOCKED_TOOLS := lint checkov sam moto lambda lock-tools
LOCK_FLAGS ?=
UV_COMPILE = $(VENV)/lock-tools/bin/uv pip compile --quiet --generate-hashes --only-binary :all: \
	--python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
	--custom-compile-command 'make lock' $(LOCK_FLAGS)
lock: $(VENV)/lock-tools/ready
	@set -e; mkdir -p .cache/lock; \
	for tool in $(LOCKED_TOOLS); do \
		lock=requirements/$$tool.txt; new=.cache/lock/$$tool.txt; rm -f $$new; \
		if [ -f $$lock ]; then cp $$lock $$new; fi; \
		if [ $$tool = lambda ]; then deps=--no-deps; else deps=; fi; \
		$(UV_COMPILE) $$deps requirements/$$tool.in -o $$new; \
		if cmp -s $$new $$lock; then echo "$$lock: unchanged"; rm $$new; \
		else mv $$new $$lock; echo "$$lock: written"; fi; \
	done
