#!/usr/bin/env python3
"""Prove the validators can fail: every fixture in broken/ must be flagged by validate.py.

A fixture is named `<RULE>--<what is wrong>.json`; validate.py must report a finding with
that rule on that file. All fixtures go through one run of validate.py (a run per fixture
would start cfn-lint and checkov a dozen times over): it reports every finding with its file,
and its exit status is 1 exactly when it reports one, so a fixture with a finding of its own
is a fixture that alone would make it exit 1. The run itself must exit 1, not 2 (validators
that could not run prove nothing).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    fixtures = sorted((HERE / "broken").glob("*.json"))
    if not fixtures:
        print("check_broken: no fixtures in broken/", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        run = subprocess.run(
            [sys.executable, str(HERE / "validate.py"), "--report", str(report_path), *map(str, fixtures)],
            capture_output=True,
            text=True,
        )
        if run.returncode != 1 or not report_path.exists():
            print(run.stdout + run.stderr)
            print(f"check_broken: validate.py exited {run.returncode}, not 1 (findings)", file=sys.stderr)
            return 1
        report = json.loads(report_path.read_text())

    rules_by_file: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        rules_by_file[str(Path(finding["file"]).resolve())].add(finding["rule"])

    missed = 0
    for fixture in fixtures:
        expected = fixture.name.split("--", 1)[0]
        rules = rules_by_file.get(str(fixture.resolve()), set())
        if expected in rules:
            others = sorted(rules - {expected})
            also = f" (also {', '.join(others)})" if others else ""
            print(f"flagged  {fixture.name}: {expected}{also}")
        else:
            missed += 1
            print(f"MISSED   {fixture.name}: expected {expected}, found {sorted(rules) or 'nothing'}")
    if missed:
        print(run.stdout)
        print(f"check_broken: {missed} of {len(fixtures)} broken fixtures not flagged as expected", file=sys.stderr)
        return 1
    print(f"check_broken: all {len(fixtures)} broken fixtures flagged, each with its expected rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
