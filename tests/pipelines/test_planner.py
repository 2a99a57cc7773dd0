"""Scheduling, skip propagation and status messages, table-style, through the pure planner (no processes).

Rules: ``pkg/reconciler/pipelinerun/resources/pipelinerunresolution.go`` (``skip()``: parent skipped → results
missing → when; ``IsFinallySkipped``; ``skipBecauseParentTaskWasSkipped`` ignores when-skipped parents),
``pipelinerunstate.go`` (``IsStopping``, ``GetPipelineConditionStatus`` messages and reasons,
``GetPipelineTaskStatus``), ``docs/pipelines.md`` "Guarding a Task only" and "Using Retries"."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from ruamel.yaml import YAML

from shipyard.pipelines.planner import child_name
from shipyard.pipelines.resolve import Catalog, new_run_state
from shipyard.pipelines.simulate import simulate
from shipyard.pipelines.state import Cancel, RunState, TaskRunRecord, TRState
from shipyard.pipelines.status import pipelinerun_status
from shipyard.pipelines.substitution import Value
from shipyard.resources.tekton import PipelineRun

WHEN = "When Expressions evaluated to false"
PARENT = "Parent Tasks were skipped"
MISSING = "Results were missing"
STOPPING = "PipelineRun was stopping"


def run_state(
    tasks: list[dict[str, Any]], finally_: list[dict[str, Any]] | None = None, params: list[Any] | None = None
) -> RunState:
    spec: dict[str, Any] = {"tasks": tasks}
    if finally_:
        spec["finally"] = finally_
    if params:
        spec["params"] = params
    doc = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "pr"},
        "spec": {"pipelineSpec": spec},
    }
    model = PipelineRun.model_validate(doc)
    return new_run_state(model, Catalog(), name="pr", uid="uid-1", now=0.0)


def t(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "taskSpec": {"steps": [{"image": "busybox", "script": "true"}]}, **kw}


def when(inp: str, op: str, *values: str) -> dict[str, Any]:
    return {"when": [{"input": inp, "operator": op, "values": list(values)}]}


def outcomes(failing: set[str] = frozenset(), results: dict[str, dict[str, Value]] | None = None):  # type: ignore[no-untyped-def,assignment]
    def outcome(rec: TaskRunRecord) -> tuple[TRState, dict[str, Value]]:
        res = (results or {}).get(rec.pipeline_task, {})
        return (TRState.failed if rec.pipeline_task in failing else TRState.succeeded), res

    return outcome


def finished(state: RunState) -> tuple[dict[str, str], dict[str, str]]:
    status = pipelinerun_status(state, finished=True)
    cond = status["conditions"][0]
    return cond, {s["name"]: s["reason"] for s in status.get("skippedTasks", [])}


CASES = [
    pytest.param(
        [t("a"), t("b", runAfter=["a"])],
        None,
        set(),
        {},
        ("True", "Succeeded", "Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0"),
        {},
        id="all-succeed",
    ),
    pytest.param(
        # docs/pipelines.md "Guarding a Task only": runAfter-only dependants of a when-skipped task still run.
        [t("a", **when("x", "in", "y")), t("b", runAfter=["a"])],
        None,
        set(),
        {},
        ("True", "Completed", "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 1"),
        {"a": WHEN},
        id="when-skip-scope-is-the-task",
    ),
    pytest.param(
        # A consumer of a when-skipped producer's result is skipped (Results were missing); its dependants get
        # "Parent Tasks were skipped" because that parent was not skipped by a when.
        [
            t("a", **when("x", "in", "y")),
            t("b", params=[{"name": "p", "value": "$(tasks.a.results.r)"}]),
            t("c", runAfter=["b"]),
        ],
        None,
        set(),
        {},
        ("True", "Completed", "Tasks Completed: 0 (Failed: 0, Cancelled 0), Skipped: 3"),
        {"a": WHEN, "b": MISSING, "c": PARENT},
        id="missing-results-then-parent-skipped",
    ),
    pytest.param(
        # IsStopping: after a failure nothing new starts; unstarted DAG tasks are skipped as stopping; finally runs.
        [t("a"), t("b", runAfter=["a"]), t("c", runAfter=["b"])],
        [t("f")],
        {"a"},
        {},
        ("False", "Failed", "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 2"),
        {"b": STOPPING, "c": STOPPING},
        id="stopping-after-failure-finally-runs",
    ),
    pytest.param(
        # PipelineTask onError: continue: the failure is ignored, dependants run, the run succeeds.
        [t("a", onError="continue"), t("b", runAfter=["a"])],
        None,
        {"a"},
        {},
        ("True", "Succeeded", "Tasks Completed: 2 (Failed: 1 (Ignored: 1), Cancelled 0), Skipped: 0"),
        {},
        id="on-error-continue",
    ),
    pytest.param(
        # Finally when on $(tasks.t.status) and $(tasks.status) (GetPipelineTaskStatus).
        [t("a"), t("b", **when("x", "in", "y"))],
        [
            t(
                "f-ok",
                when=[
                    {"input": "$(tasks.a.status)", "operator": "in", "values": ["Succeeded"]},
                    {"input": "$(tasks.status)", "operator": "in", "values": ["Completed"]},
                ],
            ),
            t("f-skip", **when("$(tasks.b.status)", "in", "Succeeded")),
        ],
        set(),
        {},
        ("True", "Completed", "Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 2"),
        {"b": WHEN, "f-skip": WHEN},
        id="finally-status-variables",
    ),
    pytest.param(
        # IsFinallySkipped: a finally consuming a result of a failed task is skipped (results missing).
        [t("a")],
        [t("f", params=[{"name": "p", "value": "$(tasks.a.results.r)"}])],
        {"a"},
        {},
        ("False", "Failed", "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1"),
        {"f": MISSING},
        id="finally-missing-result",
    ),
    pytest.param(
        # when values spread an array param; notin.
        [
            t("a", **when("main", "in", "$(params.branches[*])")),
            t("b", **when("main", "notin", "$(params.branches[*])")),
        ],
        None,
        set(),
        {},
        ("True", "Completed", "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 1"),
        {"b": WHEN},
        id="when-array-values",
    ),
    pytest.param(
        # when is whitespace-sensitive: a result with a trailing newline does not equal "yes".
        [t("a"), t("b", **when("$(tasks.a.results.ok)", "in", "yes"))],
        None,
        set(),
        {"a": {"ok": "yes\n"}},
        ("True", "Completed", "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 1"),
        {"b": WHEN},
        id="when-whitespace-sensitive",
    ),
    pytest.param(
        # CEL when expressions (enable-cel-in-whenexpression).
        [t("a", when=[{"cel": "'$(params.branches[0])' == 'main'"}]), t("b", when=[{"cel": "1 > 2"}])],
        None,
        set(),
        {},
        ("True", "Completed", "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 1"),
        {"b": WHEN},
        id="cel",
    ),
    pytest.param(
        # A result that a succeeded producer never wrote fails the run (CheckMissingResultReferences).
        [t("a"), t("b", params=[{"name": "p", "value": "$(tasks.a.results.r)"}])],
        None,
        set(),
        {},
        (
            "False",
            "InvalidTaskResultReference",
            # resultref.go findTaskResultForParam, and pipelinerun_test.go's expected condition
            "Invalid task result reference: Could not find result with name r for task a",
        ),
        {},
        id="invalid-result-reference",
    ),
]


@pytest.mark.parametrize(("tasks", "finally_", "failing", "results", "cond", "skips"), CASES)
def test_skip_propagation_and_status(
    tasks: list[dict[str, Any]],
    finally_: list[dict[str, Any]] | None,
    failing: set[str],
    results: dict[str, dict[str, Value]],
    cond: tuple[str, str, str],
    skips: dict[str, str],
) -> None:
    state = run_state(tasks, finally_, params=[{"name": "branches", "type": "array", "default": ["main", "dev"]}])
    simulate(state, outcomes(failing, results))
    got_cond, got_skips = finished(state)
    assert (got_cond["status"], got_cond["reason"], got_cond["message"]) == cond
    assert got_skips == skips


def test_retries_then_success() -> None:
    """docs/pipelines.md "Using Retries": up to N+1 attempts; IsRetriable is len(retriesStatus) < retries."""
    state = run_state([t("flaky", retries=2)])
    attempts: list[int] = []

    def outcome(rec: TaskRunRecord) -> tuple[TRState, dict[str, Value]]:
        attempts.append(rec.attempt)
        return (TRState.succeeded if rec.attempt == 2 else TRState.failed), {}

    simulate(state, outcome)
    assert attempts == [0, 1, 2]
    assert len(state.taskruns["pr-flaky"].retries_status) == 2
    assert finished(state)[0]["reason"] == "Succeeded"


def test_running_message() -> None:
    """GetPipelineConditionStatus while tasks remain: Unknown/Running with Incomplete."""
    state = run_state([t("a"), t("b", runAfter=["a"])])
    cond = pipelinerun_status(state, finished=False)["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("Unknown", "Running")
    assert cond["message"] == "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0"


MATRIX_YAML = """
- name: build
  matrix:
    params:
      - name: platform
        value: [linux, mac, windows]
      - name: browser
        value: [chrome, safari]
    include:
      - params: [{name: platform, value: linux}, {name: flags, value: "-x"}]
      - params: [{name: platform, value: plan9}]
  taskSpec: {steps: [{image: busybox, script: "true"}]}
"""


def test_matrix_fan_out_order_include_and_aggregated_results() -> None:
    """matrix_types.go FanOut: first param fastest; include merges into matching combinations or appends; string
    results aggregate into arrays; $(tasks.t.matrix.length)."""
    tasks = YAML(typ="safe").load(MATRIX_YAML)
    state = run_state(
        [
            *tasks,
            t(
                "use",
                params=[
                    {"name": "urls", "value": "$(tasks.build.results.url[*])"},
                    {"name": "n", "value": "$(tasks.build.matrix.length)"},
                ],
                runAfter=["build"],
            ),
        ]
    )

    def outcome(rec: TaskRunRecord) -> tuple[TRState, dict[str, Value]]:
        if rec.pipeline_task == "build":
            return TRState.succeeded, {"url": f"{rec.params['platform']}/{rec.params.get('browser', '-')}"}
        return TRState.succeeded, {}

    started = simulate(state, outcome)
    combos = [state.taskruns[n].params for n in started if n.startswith("pr-build-")]
    assert combos == [
        {"platform": "linux", "browser": "chrome", "flags": "-x"},
        {"platform": "mac", "browser": "chrome"},
        {"platform": "windows", "browser": "chrome"},
        {"platform": "linux", "browser": "safari", "flags": "-x"},
        {"platform": "mac", "browser": "safari"},
        {"platform": "windows", "browser": "safari"},
        {"platform": "plan9"},
    ]
    use = state.taskruns["pr-use"].params
    assert use["urls"] == [
        "linux/chrome",
        "mac/chrome",
        "windows/chrome",
        "linux/safari",
        "mac/safari",
        "windows/safari",
        "plan9/-",
    ]
    assert use["n"] == "7"


@pytest.mark.parametrize(
    ("how", "reason", "finally_runs"),
    [
        (Cancel.stopped_run_finally, "PipelineRun was gracefully stopped", True),
        (Cancel.cancelled_run_finally, "PipelineRun was gracefully cancelled", True),
    ],
    ids=["StoppedRunFinally", "CancelledRunFinally"],
)
def test_graceful_stop_and_cancel_run_finally(how: Cancel, reason: str, finally_runs: bool) -> None:
    """docs/pipelineruns.md "Gracefully cancelling/stopping": no new DAG task, finally runs, reason Cancelled."""
    state = run_state([t("a"), t("b", runAfter=["a"])], [t("f")])
    state.cancel = how
    started = simulate(state)
    cond, skips = finished(state)
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Cancelled", 'PipelineRun "pr" was cancelled')
    assert skips == {"a": reason, "b": reason}
    assert ("pr-f" in started) is finally_runs


@pytest.mark.parametrize(
    ("parent", "suffix", "want"),
    [
        ("pr", "-build", "pr-build"),
        # knative kmeta.ChildName: parent[:31-len(suffix)] + md5(parent) + suffix
        ("p" * 60, "-build", "p" * 25 + hashlib.md5(b"p" * 60).hexdigest() + "-build"),
        # a suffix of 31+ chars: parent[:31] + md5(parent+suffix), padded with the suffix's start to 63 chars
        (
            "p" * 40,
            "-" + "t" * 40,
            "p" * 31 + hashlib.md5(("p" * 40 + "-" + "t" * 40).encode()).hexdigest(),
        ),
        ("short", "-" + "t" * 62, "short" + hashlib.md5(("short-" + "t" * 62).encode()).hexdigest() + "-" + "t" * 25),
        # makeValidName: no trailing non-alphanumerics
        (
            "short",
            "-" + "t" * 24 + "--" + "u" * 40,
            "short" + hashlib.md5(("short-" + "t" * 24 + "--" + "u" * 40).encode()).hexdigest() + "-" + "t" * 24,
        ),
    ],
    ids=["fits", "long-parent-hashed", "long-suffix-hashed-together", "padded-with-suffix", "trailing-dash-trimmed"],
)
def test_child_name_is_knative_kmeta_childname(parent: str, suffix: str, want: str) -> None:
    got = child_name(parent, suffix)
    assert got == want
    assert len(got) <= 63


@pytest.mark.parametrize(
    ("finally_", "reason"),
    [([], "PipelineRunStopping"), ([t("cleanup")], "Running")],
    ids=["no-finally-stopping", "finally-pending-stays-running-pipelinerunstate.go"],
)
def test_interim_reason_after_a_failure(finally_: list[dict[str, Any]], reason: str) -> None:
    """GetPipelineConditionStatus: a DAG failure makes the run PipelineRunStopping only once its finally tasks are
    done ("for a pipeline with final tasks, single dag task failure does not transition to interim stopping")."""
    state = run_state([t("a"), t("b")], finally_)
    state.add_runs("a", [TaskRunRecord(name="pr-a", pipeline_task="a", index=None, params={}, state=TRState.failed)])
    cond = pipelinerun_status(state, finished=False)["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("Unknown", reason)
