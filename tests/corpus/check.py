#!/usr/bin/env python3
"""Every template reads through `expand` as through AWS's cfn-lint decoder, and comes back whole.

Run in the lint venv (cfn-lint 1.58.0, PyYAML 6.0.3): mk/corpus.mk does, as part of `make test`. It
first checks that the decoder lets the earlier mapping of a merge list win, as the YAML spec says, and
stops with why if it does not (PyYAML 6.0.4 lets the later one win).

    check.py --binary target/debug/buildkite-ecs-macro tests/corpus/templates tests/corpus/fixtures

For each file of each folder (README.txt aside), `expand` runs with `--no-transform-check`: these
are other people's templates, which do not name the macro in their Transform.

(a) `expand FILE --format json` prints the JSON the decoder gives (`cfnlint.decode.decode`), key
    order and number types included, a date being the text written (CloudFormation has no date
    type; the decoder gives a Python date). Where there is no such JSON (the decoder refuses the
    file, or its reading has no JSON form: `.inf`, `!!binary`, two keys JSON writes the same, an
    integer past 64 bits, a top level that is not a mapping), `expand` must refuse it too, with a
    message naming the line the decoder names.
(b) `invoke` of a macro event whose fragment is that JSON answers `success` with it unchanged.
(c) With one `Buildkite::ECS::TaskDefinition` added under a free logical ID, `invoke` answers with
    exactly its four generated resources in its place, and everything else unchanged.
(d) `expand FILE --format yaml`, read by the decoder as it is (dates and all), is the JSON of (a):
    the writer quotes whatever a YAML 1.1 reader would take for something else.

A fixture named `refused--*` must be refused (by the decoder or for want of a JSON form); any other
must be read. The expectation is always the decoder's, never written by hand, but for one documented
difference: the decoder refuses a JSON file's escaped UTF-16 surrogate pair (`"\\ud83d\\ude80"`, what
Python's `json.dumps` writes for a character past U+FFFF) as an invalid escape, which JSON (RFC 8259
section 7) and CloudFormation read as the character. For a JSON file the decoder refuses so, the
expectation is Python's `json.loads` of the file, unless that holds a lone surrogate (no Unicode
text, refused as the decoder does). Prints the counts and
ends with `N passed, M failed`; exits 1 on any failure, naming the file, the check and the first
JSON path that differs.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import yaml
from cfnlint.decode import cfn_yaml, decode, decode_str
from cfnlint.decode.node import str_node

GENERATED_SUFFIXES = ["TaskDefinition", "LogGroup", "ExecutionRole", "TaskRole"]
GENERATED_TYPES = [
    "AWS::ECS::TaskDefinition",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::IAM::Role",
]
BUILDKITE_RESOURCE = {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby:3.3"}}


class _DatesAsTextLoader(cfn_yaml.CfnFullLoader):
    """The decoder's own loader, but a date is the text written."""


_DatesAsTextLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    # construct_scalar refuses a list or a mapping tagged !!timestamp, as the decoder's own does.
    lambda loader, node: str_node(loader.construct_scalar(node), node.start_mark, node.end_mark),
)


@contextmanager
def dates_as_text():
    """`cfn_yaml.loads` builds its loader by this module-level name; each worker reads one file
    at a time, so swapping it is safe."""
    original = cfn_yaml.CfnFullLoader
    cfn_yaml.CfnFullLoader = _DatesAsTextLoader
    try:
        yield
    finally:
        cfn_yaml.CfnFullLoader = original


class Obj(list):
    """A JSON object as its list of (key, value) pairs: order kept, duplicates seen."""


class Refusal:
    def __init__(self, why, line=None):
        self.why = why
        self.line = line

    def __repr__(self):
        return f"refused ({self.why})"


def decoder_json(template, matches):
    """The decoder's reading as JSON text and strict value, or why there is none."""
    if matches:
        first = matches[0]
        # The decoder's own refusals (a constructor's error, too many nodes) come at line 1
        # column 1 whatever the place; libyaml's errors and duplicate keys carry the real line.
        located = (first.linenumber, first.columnnumber) != (1, 1)
        line = first.linenumber if located else None
        return None, Refusal(f"the decoder: {first.message.splitlines()[0]}", line)
    if not isinstance(template, dict):
        return None, Refusal("the top level is not a mapping")
    try:
        text = json.dumps(template, allow_nan=False)
    except (TypeError, ValueError) as error:
        return None, Refusal(f"no JSON form: {error}")
    value = json.loads(text, object_pairs_hook=Obj)
    problem = json_form_problem(value)
    if problem:
        return None, Refusal(problem)
    return text, value


def json_form_problem(value):
    if isinstance(value, Obj):
        keys = [key for key, _ in value]
        if len(set(keys)) != len(keys):
            return "two keys that JSON writes the same"
        return next((p for p in (json_form_problem(v) for _, v in value) if p), None)
    if isinstance(value, list):
        return next((p for p in (json_form_problem(v) for v in value) if p), None)
    if type(value) is int and not -(2**63) <= value < 2**64:
        return "an integer past 64 bits"
    return None


def first_difference(expected, actual, path="$"):
    """The first JSON path where `actual` is not `expected` (types and key order included)."""
    if isinstance(expected, Obj) and isinstance(actual, Obj):
        expected_keys = [key for key, _ in expected]
        actual_keys = [key for key, _ in actual]
        if expected_keys != actual_keys:
            return f"{path}: keys {short(expected_keys)}, got {short(actual_keys)}"
        for (key, left), (_, right) in zip(expected, actual):
            found = first_difference(left, right, f"{path}.{key}")
            if found:
                return found
        return None
    if type(expected) is list and type(actual) is list:
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items, got {len(actual)}"
        for index, (left, right) in enumerate(zip(expected, actual)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    same_type = type(expected) is type(actual)
    if isinstance(expected, float) and same_type:
        same = expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
    else:
        same = same_type and expected == actual
    if not same:
        return f"{path}: {short(expected)} ({type(expected).__name__}), got {short(actual)} ({type(actual).__name__})"
    return None


def short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def dump(value):
    """JSON text of a strict value, key order kept."""
    if isinstance(value, Obj):
        return "{" + ", ".join(f"{json.dumps(key)}: {dump(item)}" for key, item in value) + "}"
    if type(value) is list:
        return "[" + ", ".join(dump(item) for item in value) + "]"
    return json.dumps(value)


def run(arguments, stdin=None):
    return subprocess.run(
        arguments, input=stdin, capture_output=True, encoding="utf-8", check=False
    )


def invoke(binary, fragment_text, request_id):
    event = (
        '{"region": "us-east-1", "accountId": "123456789012", "transformId": "corpus", '
        f'"params": {{}}, "requestId": "{request_id}", "templateParameterValues": {{}}, '
        f'"fragment": {fragment_text}}}'
    )
    result = run([binary, "invoke", "-"], event)
    try:
        response = json.loads(result.stdout, object_pairs_hook=Obj)
    except json.JSONDecodeError:
        return None, f"invoke printed no JSON (exit {result.returncode}): {result.stderr.strip()[:200]}"
    answer = dict(response)
    if answer.get("status") != "success":
        return None, f"invoke answered {answer.get('status')}: {str(answer.get('errorMessage'))[:300]}"
    return answer["fragment"], None


def with_buildkite_resource(template):
    """The template with one Buildkite resource added at the end of Resources, and its ID."""
    resources = dict(template).get("Resources")
    if not isinstance(resources, Obj):
        return None, None
    taken = {key for key, _ in resources}
    number = 0
    while True:
        logical_id = "CorpusCheckAgent" + (str(number) if number else "")
        if not {logical_id, *(logical_id + suffix for suffix in GENERATED_SUFFIXES)} & taken:
            break
        number += 1
    resource = json.loads(json.dumps(BUILDKITE_RESOURCE), object_pairs_hook=Obj)
    added = Obj(
        (key, Obj([*value, (logical_id, resource)]) if key == "Resources" else value)
        for key, value in template
    )
    return added, logical_id


def check_generated(template, logical_id, answer):
    """`answer` is `template` with exactly the four generated resources added; else what is not."""
    if not isinstance(answer, Obj):
        return "the fragment is not a mapping"
    answer_resources = dict(answer).get("Resources")
    if not isinstance(answer_resources, Obj):
        return "the fragment has no Resources"
    generated_ids = [logical_id + suffix for suffix in GENERATED_SUFFIXES]
    generated = Obj((key, value) for key, value in answer_resources if key in generated_ids)
    if [key for key, _ in generated] != generated_ids:
        return f"generated {short([key for key, _ in generated])}, not {generated_ids}"
    types = [dict(value).get("Type") for _, value in generated]
    if types != GENERATED_TYPES:
        return f"generated types {types}"
    rest = Obj((key, value) for key, value in answer_resources if key not in generated_ids)
    unchanged = Obj(
        (key, rest) if key == "Resources" else (key, value) for key, value in answer
    )
    found = first_difference(template, unchanged)
    return f"besides the generated resources, {found}" if found else None


# The YAML merge-key spec (yaml.org/type/merge.html): "If the value associated with the merge key is a
# sequence, then this sequence is expected to contain mapping nodes and each of these nodes is merged
# in turn according to its order in the sequence. Keys in mapping nodes earlier in the sequence
# override keys specified in later mapping nodes." Our reader does so, as PyYAML 6.0.3 does.
MERGE_RULE_TEMPLATE = """\
Extra: &extra {Size: large, Zone: a}
Base: &base {Region: us-east-1, Size: small}
Merged: {<<: [*extra, *base], Own: 1}
"""


def decoder_follows_the_merge_rule():
    """None if the installed decoder lets the earlier mapping of a merge list win, as the spec says;
    else why not. The expectations of every file come from the decoder, so a decoder that reads merge
    keys otherwise would fail merge-keys.yaml with no word of why."""
    template, matches = decode_str(MERGE_RULE_TEMPLATE)
    size = None if matches else template["Merged"].get("Size")
    if size == "large":
        return None
    return (
        f"the decoder (cfn-lint's, on PyYAML {yaml.__version__}) reads `<<: [*extra, *base]` with "
        f"Size {size!r}, not 'large': PyYAML {yaml.__version__} lets the later merged mapping win, "
        f"where the YAML merge-key spec (yaml.org/type/merge.html) and our reader let the earlier one "
        f"win. requirements/lint.txt pins PyYAML 6.0.3, which follows the spec: rebuild the venv from "
        f"the lock (rm -rf .venv/lint; make corpus-check)"
    )


SURROGATE_REFUSAL = "found invalid Unicode character escape code"


def json_loads_reading(path, expected):
    """Python's json.loads of a JSON file whose surrogate pairs the decoder refused, else `expected`."""
    if not (isinstance(expected, Refusal) and SURROGATE_REFUSAL in expected.why):
        return None, expected
    with open(path, encoding="utf-8-sig") as file:
        source = file.read()
    if not source.lstrip().startswith("{"):
        return None, expected
    template = json.loads(source)
    text = json.dumps(template, allow_nan=False)
    try:
        text.encode("utf-8")
        json.dumps(template, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None, expected  # a lone surrogate: no Unicode text to read
    return text, json.loads(text, object_pairs_hook=Obj)


def check_file(job):
    binary, folder, name = job
    path = os.path.join(folder, name)
    must_refuse = name.startswith("refused--")
    with dates_as_text():
        template, matches = decode(path)
    text, expected = decoder_json(template, matches)
    if text is None:
        text, expected = json_loads_reading(path, expected)
    failures = []
    result = run([binary, "expand", path, "--format", "json", "--no-transform-check"])

    if isinstance(expected, Refusal):
        if not must_refuse:
            failures.append(f"(a) the decoder does not read it: {expected.why}")
        if result.returncode != 1 or not result.stderr.startswith("cannot read the template: "):
            failures.append(f"(a) expand does not refuse it (exit {result.returncode}), though {expected!r}")
        elif expected.line is not None and f"line {expected.line} " not in result.stderr + " ":
            failures.append(
                f"(a) the refusal names no line {expected.line}, as the decoder does: {result.stderr.strip()}"
            )
        elif expected.line is None and "line " not in result.stderr and "top level" not in result.stderr:
            failures.append(f"(a) the refusal names no place: {result.stderr.strip()}")
        return name, "refused", failures

    if must_refuse:
        failures.append("(a) a refused-- fixture that the decoder reads")
    if result.returncode != 0:
        failures.append(f"(a) expand refuses it: {result.stderr.strip()[:300]}")
        return name, "read", failures
    found = first_difference(expected, json.loads(result.stdout, object_pairs_hook=Obj))
    if found:
        failures.append(f"(a) expand reads it otherwise: {found}")

    fragment, why = invoke(binary, text, f"corpus-{name}")
    if why:
        failures.append(f"(b) {why}")
    else:
        found = first_difference(expected, fragment)
        if found:
            failures.append(f"(b) invoke changed it: {found}")

    added, logical_id = with_buildkite_resource(expected)
    if added is not None:
        fragment, why = invoke(binary, dump(added), f"corpus-bk-{name}")
        why = why or check_generated(expected, logical_id, fragment)
        if why:
            failures.append(f"(c) with {logical_id} added: {why}")

    written = run([binary, "expand", path, "--format", "yaml", "--no-transform-check"])
    if written.returncode != 0:
        failures.append(f"(d) expand --format yaml refuses it: {written.stderr.strip()[:300]}")
    else:
        template, matches = decode_str(written.stdout)
        _, read_back = decoder_json(template, matches)
        if isinstance(read_back, Refusal):
            failures.append(f"(d) the decoder does not read expand's YAML back: {read_back.why}")
        else:
            found = first_difference(expected, read_back)
            if found:
                failures.append(f"(d) expand's YAML reads back otherwise: {found}")
    return name, "read", failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the buildkite-ecs-macro binary")
    parser.add_argument("--fixtures", action="append", default=[], help="a folder of edge cases")
    parser.add_argument("folders", nargs="*", help="folders of templates, each of which must be read")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    arguments = parser.parse_args()

    why = decoder_follows_the_merge_rule()
    if why:
        print(f"corpus check: {why}", file=sys.stderr)
        return 1
    started = time.monotonic()
    jobs = [
        (arguments.binary, folder, name)
        for folder in [*arguments.folders, *arguments.fixtures]
        for name in sorted(os.listdir(folder))
        if name != "README.txt"
    ]
    with ProcessPoolExecutor(max_workers=arguments.jobs) as pool:
        results = list(pool.map(check_file, jobs, chunksize=4))

    failed = [(name, failures) for name, _, failures in results if failures]
    for name, failures in failed:
        for failure in failures:
            print(f"FAIL {name}: {failure}")
    for folder in [*arguments.folders, *arguments.fixtures]:
        names = {name for _, f, name in jobs if f == folder}
        mine = [(name, outcome, failures) for name, outcome, failures in results if name in names]
        good = [outcome for _, outcome, failures in mine if not failures]
        print(
            f"{folder}: {len(mine)} files; {good.count('read')} read as the decoder reads them, "
            f"unchanged through invoke, with a Buildkite resource gaining its 4 resources, and "
            f"read back the same from expand's YAML; {good.count('refused')} refused as the "
            f"decoder refuses them (or has no JSON for them), naming the line"
        )
    print(f"corpus check: {time.monotonic() - started:.1f} s")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
