# The resource's schema where users meet it, on source templates (README "Checking a template
# before you deploy"; the committed schema/*.json are held to the property table by cargo test):
#   make schema-lint     cfn-lint 1.58 with --append-rules schema/cfn-lint, and both schemas with
#                        cfn-lint's JSON Schema validator: the examples clean, each
#                        tests/schema/broken/<RULE>--<what>.yaml flagged (tests/schema/check_schema.py)
#   make schema-editor   schema/template.schema.json in the YAML language server (pinned in
#                        tests/editor/package-lock.json, installed from npm on first use) with the
#                        README's settings: the examples clean, the broken ones underlined
# `make test` runs both (schema-check).
VENV ?= .venv
EDITOR_CHECK := tests/editor
export npm_config_cache := $(CURDIR)/.cache/npm

TEST_TARGETS += schema-check

.PHONY: schema-check schema-lint schema-editor

schema-check: schema-lint schema-editor

schema-lint: $(VENV)/lint/ready
	$(VENV)/lint/bin/python tests/schema/check_schema.py

$(EDITOR_CHECK)/node_modules/.ready: $(EDITOR_CHECK)/package-lock.json
	@command -v npm >/dev/null || { echo "schema-editor needs Node.js and npm" >&2; exit 1; }
	npm ci --prefix $(EDITOR_CHECK) --no-audit --no-fund --loglevel=error
	touch $@

schema-editor: $(EDITOR_CHECK)/node_modules/.ready
	node $(EDITOR_CHECK)/check.mjs
