"""The resource's schema where users meet it, on the source templates (mk/schema.mk):

- cfn-lint 1.58 with `--append-rules schema/cfn-lint`: every example is clean (but for the
  findings listed in EXPECTED, which are about the example's own resources), and each
  tests/schema/broken/<RULE>--<what>.yaml is flagged with the rule its name starts with; a
  fixture of ours (E91xx) has no E3006 or E3724, while a misspelt type (E3006) and another
  Globals section without SAM (E3724) still have theirs. Through cfn-lint's own formats.
- schema/template.schema.json (the editor's) and schema/task-definition.schema.json (the
  resource's) with cfn-lint's JSON Schema validator, on each template as cfn-lint's decoder
  reads it: every example passes; every E91xx fixture fails.

Prints one line per check and `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cfnlint.decode import decode
from cfnlint.jsonschema import StandardValidator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BROKEN = sorted((ROOT / "tests/schema/broken").glob("*.yaml"))
RULES = ROOT / "schema/cfn-lint"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
TEMPLATE_SCHEMA = json.loads((ROOT / "schema/template.schema.json").read_text())
RESOURCE_SCHEMA = json.loads((ROOT / "schema/task-definition.schema.json").read_text())
RESOURCE_TYPES = RESOURCE_SCHEMA["definitions"]["Type"]["enum"]

# Findings about an example's own resources, not the macro's: its `DependsOn: Artifacts` is
# there to show DependsOn carried to the task definition.
EXPECTED = {"attributes-and-references.yaml": ["W3005"]}

# What the editor's schema cannot flag: a language server sees `CpuArchitecture: !Ref arm64`
# as the string "arm64", so any string passes where a function may stand (cfn-lint, which
# sees the function, flags these).
EDITOR_CANNOT_TELL = {"E9101--architecture-not-offered.yaml"}

results: list[tuple[bool, str]] = []


def check(ok: bool, what: str) -> None:
    results.append((ok, what))
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def cfn_lint(paths: list[Path], output: str = "json") -> str:
    run = subprocess.run(
        [str(CFN_LINT), "--append-rules", str(RULES), "--format", output, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if run.stderr.strip():
        print(run.stderr, file=sys.stderr)
    return run.stdout


def findings(paths: list[Path]) -> dict[str, list[dict]]:
    by_file: dict[str, list[dict]] = {path.name: [] for path in paths}
    for finding in json.loads(cfn_lint(paths) or "[]"):
        by_file[Path(finding["Filename"]).name].append(finding)
    return by_file


def lint_examples() -> None:
    for name, found in findings(EXAMPLES).items():
        ids = sorted(finding["Rule"]["Id"] for finding in found)
        check(
            ids == sorted(EXPECTED.get(name, [])),
            f"cfn-lint examples/{name}: {', '.join(ids) or 'clean'}",
        )


def lint_broken() -> None:
    for name, found in findings(BROKEN).items():
        rule = name.split("--")[0]
        ids = sorted({finding["Rule"]["Id"] for finding in found})
        flagged = rule in ids
        quiet = not rule.startswith("E91") or not {"E3006", "E3724"} & set(ids)
        messages = "; ".join(
            f"{f['Rule']['Id']} line {f['Location']['Start']['LineNumber']}: {f['Message']}"
            for f in found
        )
        check(flagged and quiet, f"cfn-lint broken/{name}: {messages}")
    # The same findings through another of cfn-lint's formats.
    misspelt = ROOT / "tests/schema/broken/E9101--misspelled-property.yaml"
    parseable = cfn_lint([misspelt], "parseable")
    check(
        ":8:7:8:17:E9101:" in parseable and "Did you mean 'TaskMemory'" in parseable,
        f"cfn-lint --format parseable: {parseable.strip()}",
    )


def errors(validator, instance) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def buildkite_resources(resources):
    """The Buildkite resources of a Resources section, those in a Fn::ForEach's fragment too."""
    for name, resource in resources.items():
        if name.startswith("Fn::ForEach::") and isinstance(resource, list) and len(resource) == 3:
            if isinstance(resource[2], dict):
                yield from buildkite_resources(resource[2])
        elif isinstance(resource, dict) and resource.get("Type") in RESOURCE_TYPES:
            yield name, resource


def validate_schemas() -> None:
    template_validator = StandardValidator(TEMPLATE_SCHEMA)
    properties_validator = StandardValidator(RESOURCE_SCHEMA)
    globals_validator = StandardValidator(
        {"$ref": "#/definitions/Globals", "definitions": RESOURCE_SCHEMA["definitions"]}
    )
    for path in EXAMPLES:
        template, problems = decode(str(path))
        check(not problems, f"decode examples/{path.name}")
        found = errors(template_validator, template)
        check(not found, f"template schema, examples/{path.name}: {found or 'valid'}")
        for name, resource in buildkite_resources(template.get("Resources", {})):
            if "Properties" in resource:
                found = errors(properties_validator, resource["Properties"])
                check(not found, f"resource schema, examples/{path.name} {name}: {found or 'valid'}")
        global_values = (template.get("Globals") or {}).get("TaskDefinition")
        if global_values is not None:
            found = errors(globals_validator, global_values)
            check(not found, f"resource schema Globals, examples/{path.name}: {found or 'valid'}")
    for path in BROKEN:
        if not path.name.startswith("E91"):
            continue
        template, _ = decode(str(path))
        found = errors(template_validator, template)
        if path.name in EDITOR_CANNOT_TELL:
            check(not found, f"template schema, broken/{path.name}: passes, as it must")
        else:
            check(bool(found), f"template schema, broken/{path.name}: {found}")


lint_examples()
lint_broken()
validate_schemas()
failed = sum(1 for ok, _ in results if not ok)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
