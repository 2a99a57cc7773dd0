"""``shipyard lint`` reports every problem of a file at once, each as ``file:line field.path: message``
(Tekton's ``errs.Also(...).ViaFieldIndex``; STYLE.md 5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shipyard.testing.shared import SHARED

FIVE_ERRORS = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: ci
spec:
  params:
    - name: revision
  tasks:
    - name: build
      timeout: 10 minutes
      taskSpec:
        steps:
          - name: compile
            image: alpine
            command: ["make"]
            script: make
    - name: test
      runAfter: ["buidl"]
      taskSpec:
        steps:
          - name: unit
            image: alpine
            scirpt: make test
    - name: deploy
      runAfter: ["test"]
      when:
        - input: $(params.revison)
          operator: in
          values: ["main"]
      taskRef:
        name: deploy
"""


def _lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shipyard.cli.main", "lint", *[a for p in paths for a in ("-f", str(p))]],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_five_distinct_errors_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    f = tmp_path / "pipeline.yaml"
    f.write_text(FIVE_ERRORS)
    proc = _lint(f)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(str(f))]
    assert lines == [
        f'{f}:10 spec.tasks[0].timeout: time: missing unit in duration "10 minutes"',
        f"{f}:16 spec.tasks[0].taskSpec.steps[0].script: script cannot be used with command",
        f'{f}:18 spec.tasks[1].runAfter[0]: unknown task "buidl" (did you mean "build"?)',
        f'{f}:23 spec.tasks[1].taskSpec.steps[0].scirpt: unknown field "scirpt" (did you mean "script"?)',
        f'{f}:27 spec.tasks[2].when[0].input: non-existent variable "$(params.revison)": '
        'the pipeline has no param "revison" (did you mean "revision"?)',
    ]
    assert "5 errors" in proc.stderr


def test_cycle_and_unknown_result_reference(tmp_path: Path) -> None:
    f = tmp_path / "cycle.yaml"
    f.write_text(
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n"
        "    - name: a\n      runAfter: [b]\n      taskRef: {name: t}\n"
        "    - name: b\n      runAfter: [a]\n      taskRef: {name: t}\n"
        "    - name: c\n      params:\n        - name: x\n          value: $(tasks.nope.results.r)\n      taskRef: {name: t}\n"
    )
    proc = _lint(f)
    assert proc.returncode == 1
    assert f'{f}:15 spec.tasks[2].params[0].value: result reference to unknown task "nope"' in proc.stderr
    assert "cycle detected: a -> b -> a" in proc.stderr


def test_unknown_kind_and_the_whole_corpus(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("apiVersion: tekton.dev/v1\nkind: Pipline\nmetadata: {name: x}\nspec: {}\n")
    proc = _lint(f)
    assert proc.returncode == 1 and 'did you mean "tekton.dev/Pipeline"' in proc.stderr
    ok = _lint(SHARED / "corpus" / "tekton")
    assert ok.returncode == 0, ok.stderr
    assert "35 resources OK" in ok.stdout


def test_a_bad_param_value_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    """Every problem at once (STYLE.md 5): a wrong-typed ParamValue (one message, as Tekton's ParamValue
    UnmarshalJSON gives one) must not stop the checks of the steps (duration, duplicate step names)."""
    f = tmp_path / "tr.yaml"
    f.write_text(
        "apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata:\n  name: x\nspec:\n  taskSpec:\n    steps:\n"
        "    - name: a\n      image: alpine\n      timeout: banana\n    - name: a\n      image: [1]\n"
        "  params:\n  - name: p\n    value: {a: [1]}\n"
    )
    proc = _lint(f)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(str(f))]
    assert lines == [
        f'{f}:10 spec.taskSpec.steps[0].timeout: time: invalid duration "banana"',
        f'{f}:11 spec.taskSpec.steps[1].name: duplicate step name "a"',
        f"{f}:12 spec.taskSpec.steps[1].image: Input should be a valid string",
        f"{f}:15 spec.params[0].value: must be a string, an array of strings or an object whose values are strings",
    ]


def test_whole_array_or_object_param_outside_command_and_args(tmp_path: Path) -> None:
    """task_validation.go validateStepArrayUsage/validateStepObjectUsage: $(params.arr[*]) and $(params.obj) are
    only allowed as whole command/args elements; indexing and keys are allowed anywhere."""
    f = tmp_path / "task.yaml"
    f.write_text(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n"
        "  params:\n    - {name: arr, type: array}\n    - name: obj\n      properties: {k: {}}\n"
        "  steps:\n"
        "    - name: ok\n      image: alpine\n      args: ['$(params.arr[*])']\n"
        "      script: echo $(params.arr[0]) $(params.obj.k)\n"
        "    - name: bad\n      image: alpine\n      script: echo $(params.arr[*])\n"
        "      env:\n        - {name: X, value: $(params.obj)}\n"
    )
    proc = _lint(f)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(str(f))]
    assert lines == [
        f'{f}:16 spec.steps[1].script: variable type invalid in "echo $(params.arr[*])"',
        f'{f}:18 spec.steps[1].env[0].value: variable type invalid in "$(params.obj)"',
    ]
