"""The hooks of .pre-commit-hooks.yaml, run as pre-commit runs them (mk/hooks.mk; docs/tools.md).

pre-commit itself is not run here (it would fetch crates and PyPI packages, and build the crate
again): each hook's `entry` is split as pre-commit splits it and run with the hook's `args` and the
files its `files` pattern takes, with the debug binary and cfn-lint on PATH and the rules package
laid out as pyproject.toml's wheel lays it out (its force-include mapping, copied to a temporary
directory on PYTHONPATH). Checked: templates naming no Buildkite:: type are passed over; every
problem comes out prefixed with its file; options in `--name=value` form reach expand; the
cfn-lint hook loads the rules by the module name its entry gives and flags E9101.

Prints one line per check and `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GOOD = ROOT / "examples/minimal.yaml"
BAD = ROOT / "tests/fixtures/spec-example.yaml"
WORKFLOW = HERE / "workflow.yml"
MISSPELT = HERE / "misspelt-transform.yaml"
OTHER_NAME = HERE / "other-name.yaml"
QUOTED = [HERE / "quoted-type.json", HERE / "quoted-type.yaml"]
PLAIN = ROOT / "template.yaml"  # the macro's own deploy template: a template, no Buildkite type

results: list[bool] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f"\n{detail}" if detail and not ok else ""))


def run(hook: dict, args: list[str], files: list[Path], env: dict) -> subprocess.CompletedProcess:
    taken = [str(f.relative_to(ROOT)) for f in files if re.search(hook["files"], str(f.relative_to(ROOT)))]
    command = shlex.split(hook["entry"]) + args + taken
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def rules_package(directory: Path) -> None:
    """The wheel's files, where pyproject.toml's force-include puts them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    for source, target in mapping.items():
        (directory / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, directory / target)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, type=Path, help="the built buildkite-ecs-macro")
    options = parser.parse_args()

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    check("two hooks", sorted(hooks) == ["buildkite-ecs-macro-cfn-lint", "buildkite-ecs-macro-expand"], str(sorted(hooks)))
    check("expand hook is language rust", hooks["buildkite-ecs-macro-expand"]["language"] == "rust")
    check("cfn-lint hook is language python", hooks["buildkite-ecs-macro-cfn-lint"]["language"] == "python")
    for hook in hooks.values():
        for name in ("a.json", "a.yaml", "a.yml", "a.template"):
            check(f"{hook['id']} files takes {name}", re.search(hook["files"], name) is not None)

    with tempfile.TemporaryDirectory() as scratch:
        bin_dir = Path(scratch) / "bin"
        bin_dir.mkdir()
        (bin_dir / "buildkite-ecs-macro").symlink_to(options.binary.resolve())
        site = Path(scratch) / "site"
        rules_package(site)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
        env["PYTHONPATH"] = str(site)

        expand = hooks["buildkite-ecs-macro-expand"]
        done = run(expand, [], [GOOD, WORKFLOW, PLAIN], env)
        check("expand: good template, workflow and plain template pass, silently",
              done.returncode == 0 and done.stdout == "" and done.stderr == "", repr(done))
        done = run(expand, [], [GOOD, BAD, MISSPELT, WORKFLOW], env)
        lines = done.stdout.splitlines()
        check("expand: problems fail the hook with exit 1", done.returncode == 1, repr(done))
        bad, misspelt = str(BAD.relative_to(ROOT)), str(MISSPELT.relative_to(ROOT))
        check("expand: every line starts with its file",
              bool(lines) and all(line.startswith((f"{bad}: ", f"{misspelt}: ")) for line in lines), done.stdout)
        check("expand: both problems of the bad template",
              any(line.startswith(f"{bad}: Resources.Php.Properties.TaskMemroy") for line in lines)
              and any(line.startswith(f"{bad}: Resources.Dotnet.Properties.TaskMemory") for line in lines),
              done.stdout)
        check("expand: a misspelt Transform is taken and refused",
              any(line.startswith(f"{misspelt}: Transform") and "Buildkite-Agents-2020-09-03" in line
                  for line in lines), done.stdout)
        check("expand: the good template and the workflow say nothing",
              not any(str(GOOD.relative_to(ROOT)) in line or "workflow" in line for line in lines), done.stdout)
        done = run(expand, [], QUOTED, env)
        check("expand: a type quoted, in JSON or YAML flow style, is taken",
              done.returncode == 1
              and all(f"{f.relative_to(ROOT)}: Resources.Ruby.Properties.TaskMemroy" in done.stdout for f in QUOTED),
              repr(done))
        done = run(expand, [], [OTHER_NAME], env)
        check("expand: another macro name is refused without args", done.returncode == 1, repr(done))
        done = run(expand, ["--transform-name=Buildkite-Agents-v2"], [OTHER_NAME], env)
        check("expand: args --transform-name=NAME reach expand", done.returncode == 0 and done.stdout == "", repr(done))

        lint = hooks["buildkite-ecs-macro-cfn-lint"]
        done = run(lint, [], [GOOD, WORKFLOW, PLAIN], env)
        check("cfn-lint: good template passes; workflow and plain template passed over",
              done.returncode == 0, repr(done))
        done = run(lint, ["--format=parseable"], [BAD, WORKFLOW], env)
        check("cfn-lint: loads the rules by the entry's module name and flags E9101",
              done.returncode != 0 and ":E9101:" in done.stdout and "workflow" not in done.stdout, repr(done))
        done = run(lint, [], [WORKFLOW], env)
        done = run(lint, ["--format=parseable"], QUOTED, env)
        check("cfn-lint: a type quoted, in JSON or YAML flow style, is taken",
              all(f"{f.relative_to(ROOT)}:" in done.stdout and ":E9101:" in done.stdout for f in QUOTED), repr(done))
        done = run(lint, [], [WORKFLOW], env)
        check("cfn-lint: nothing to lint is a pass", done.returncode == 0 and done.stdout == "", repr(done))

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
