"""cfn-lint rules for templates that use buildkite-ecs-macro, checked before the macro runs.

    cfn-lint --append-rules schema/cfn-lint template.yaml

E9101 checks the Properties of every Buildkite::ECS::TaskDefinition (and Buildkite::ECS::Agent)
resource, and E9102 Globals.TaskDefinition, against ../task-definition.schema.json, which
`buildkite-ecs-macro schema` generates from the macro's property table. Findings come out in
cfn-lint's own formats (--format parseable, json, junit, sarif, ...).

Loading this file also quietens two of cfn-lint's own rules for these alone: E3006 (the type
is not a resource type AWS knows: the macro replaces it before CloudFormation sees it) and
E3724 (Globals.TaskDefinition is not a SAM Globals section: the macro removes it before SAM
runs). cfn-lint 1.58 has no way for a rule to silence another's findings, refuses a second rule
with an ID it has, and loads its own rules as fresh modules (so their classes cannot be
patched from here); a registry schema (--registry-schemas) would quieten E3006 but not E3724.
So this file wraps the step where cfn-lint drops the findings a resource's
`Metadata: cfn-lint: config: ignore_checks` names, and drops there exactly: E3006 on a
Buildkite resource, and E3724 on Globals.TaskDefinition (or on a Globals that holds nothing
else). Every other finding, of every other resource and section, is kept.

The schema is a first check: the macro refuses more (a partition other than the stack's, a
parameter's value, a CPU and memory pair split between Globals and a resource), so run
`buildkite-ecs-macro expand` too, and lint its output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import cfnlint.runner.template.runner as template_runner
from cfnlint.jsonschema import StandardValidator
from cfnlint.rules import CloudFormationLintRule, RuleMatch

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "task-definition.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
DEFINITIONS = SCHEMA["definitions"]
RESOURCE_TYPES: list[str] = DEFINITIONS["Type"]["enum"]
REQUIRED: list[str] = DEFINITIONS["Required"]["required"]
INTRINSIC = {"$ref": "#/definitions/Intrinsic"}
SOURCE_URL = "https://github.com/keithduncan/buildkite-ecs-macro#checking-a-template-before-you-deploy"

PROPERTIES_VALIDATOR = StandardValidator(SCHEMA)
GLOBALS_VALIDATOR = StandardValidator({"$ref": "#/definitions/Globals", "definitions": DEFINITIONS})


def _is_intrinsic_branch(branch: Any) -> bool:
    """Whether an `anyOf` branch is the one that lets a function stand for the value."""
    if branch == INTRINSIC:
        return True
    return isinstance(branch, dict) and branch.get("allOf", [None])[0] == INTRINSIC


def _a(kinds: list[str]) -> str:
    words = {"array": "a list", "object": "an object", "integer": "a whole number"}
    named = [words.get(kind, f"a {kind}") for kind in dict.fromkeys(kinds)]
    return " or ".join(named)


def _explain(error) -> Iterator[Any]:
    """The errors that say what is wrong: of an `anyOf`, those of the branch the value was
    written for (a list for a list, a number for a number), never the function's."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    written_for = [
        errors
        for index, errors in branches.items()
        if not _is_intrinsic_branch(error.schema[error.validator][index])
        and not any(sub.validator == "type" and not sub.relative_path for sub in errors)
    ]
    if not written_for:
        kinds = [
            branch.get("type")
            for branch in error.schema[error.validator]
            if isinstance(branch, dict) and not _is_intrinsic_branch(branch) and "type" in branch
        ]
        error.message = (
            f"{error.instance!r} is not {_a(kinds)}, nor an intrinsic function"
            if kinds
            else error.message
        )
        yield error
        return
    chosen = max(written_for, key=lambda errors: max(len(sub.relative_path) for sub in errors))
    for sub in chosen:
        yield from _explain(sub)


def _matches(validator, instance: Any, path: list[Any]) -> list[RuleMatch]:
    found: dict[tuple[str, str], RuleMatch] = {}
    for error in validator.iter_errors(instance):
        for leaf in _explain(error):
            where = path + list(leaf.absolute_path)
            found.setdefault(
                (repr(where), leaf.message), RuleMatch(where, leaf.message)
            )
    return list(found.values())


def _globals_task_definition(cfn) -> Any:
    globals_section = cfn.template.get("Globals")
    if isinstance(globals_section, dict):
        return globals_section.get("TaskDefinition")
    return None


class BuildkiteTaskDefinitionProperties(CloudFormationLintRule):
    """Check the Properties of Buildkite::ECS::TaskDefinition resources"""

    id = "E9101"
    shortdesc = "Buildkite::ECS::TaskDefinition properties"
    description = (
        "The Properties of a Buildkite::ECS::TaskDefinition or Buildkite::ECS::Agent resource "
        "follow buildkite-ecs-macro's schema (names, types, enums, ranges, patterns), and "
        "those it requires are set here or in Globals.TaskDefinition"
    )
    source_url = SOURCE_URL
    tags = ["resources", "buildkite"]

    def match(self, cfn) -> list[RuleMatch]:
        matches: list[RuleMatch] = []
        global_values = _globals_task_definition(cfn)
        given_globally = set(global_values) if isinstance(global_values, dict) else set()
        for name, resource in cfn.get_resources(RESOURCE_TYPES).items():
            path = ["Resources", name, "Properties"]
            properties = resource.get("Properties")
            if properties is None:
                properties = {}
                path = ["Resources", name]
            if not isinstance(properties, dict):
                matches.append(RuleMatch(path, "Properties must be an object"))
                continue
            for required in REQUIRED:
                if required not in properties and required not in given_globally:
                    matches.append(
                        RuleMatch(
                            path,
                            f"{required!r} is a required property (here or in "
                            "Globals.TaskDefinition)",
                        )
                    )
            if properties:
                matches.extend(_matches(PROPERTIES_VALIDATOR, properties, path))
        return matches


class BuildkiteGlobalsTaskDefinition(CloudFormationLintRule):
    """Check Globals.TaskDefinition"""

    id = "E9102"
    shortdesc = "Globals.TaskDefinition of buildkite-ecs-macro"
    description = (
        "Globals.TaskDefinition sets properties for every Buildkite resource of the template: "
        "any property but TaskFamily, as buildkite-ecs-macro's schema says"
    )
    source_url = SOURCE_URL
    tags = ["resources", "buildkite", "globals"]

    def match(self, cfn) -> list[RuleMatch]:
        global_values = _globals_task_definition(cfn)
        if global_values is None:
            return []
        return _matches(GLOBALS_VALIDATOR, global_values, ["Globals", "TaskDefinition"])


def _is_about_buildkite(match, cfn) -> bool:
    """Whether a finding of E3006 or E3724 is about what the macro removes: a Buildkite
    resource's type, or Globals.TaskDefinition (or a Globals that holds nothing else)."""
    rule_id = getattr(getattr(match, "rule", None), "id", None)
    path = list(getattr(match, "path", None) or [])
    template = cfn.template if isinstance(cfn.template, dict) else {}
    if rule_id == "E3006" and len(path) >= 2 and path[0] == "Resources":
        resource = (template.get("Resources") or {}).get(path[1])
        return isinstance(resource, dict) and resource.get("Type") in RESOURCE_TYPES
    if rule_id == "E3724" and path[:1] == ["Globals"]:
        if path[1:2] == ["TaskDefinition"]:
            return True
        globals_section = template.get("Globals")
        return len(path) == 1 and isinstance(globals_section, dict) and list(globals_section) == [
            "TaskDefinition"
        ]
    return False


def _quieten_cfn_lint_rules_for_buildkite() -> None:
    """Filters E3006 and E3724 findings about what the macro removes, where cfn-lint filters
    its `Metadata` ignore_checks directives; once, however often this file is loaded."""
    if getattr(template_runner, "_buildkite_ecs_macro", False):
        return
    check_directives = template_runner._check_metadata_directives

    def check_directives_and_buildkite(matches, cfn, config):
        kept = (match for match in matches if not _is_about_buildkite(match, cfn))
        yield from check_directives(kept, cfn, config)

    template_runner._check_metadata_directives = check_directives_and_buildkite
    template_runner._buildkite_ecs_macro = True


_quieten_cfn_lint_rules_for_buildkite()
