"""More real upstream examples (tests/pipelines/upstream, from tektoncd/pipeline examples/v1) run unchanged and end
as upstream's code says: reference/ci-engine.md §6.1 rows 5-25 and T1-T10 give the reason, skipped tasks and
results; the condition messages follow pipelinerunstate.go getPipelineConditionStatus (``Tasks Completed: %d
(Failed: %d, Cancelled %d), Skipped: %d``, finally tasks counted) and taskrun_types.go (``All Steps have completed
executing``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.resources.loader import load_file

UPSTREAM = Path(__file__).parent / "upstream"
FILES = sorted(str(p.relative_to(UPSTREAM)) for p in UPSTREAM.rglob("*.yaml"))

WHEN = "When Expressions evaluated to false"
STEPS_DONE = "All Steps have completed executing"
URLS = [
    f"https://api.example/get-report/{p}-{b}"
    for b in ("chrome", "safari", "firefox")
    for p in ("linux", "mac", "windows")
]


def _msg(completed: int, skipped: int = 0, failed: int = 0, ignored: int = 0) -> str:
    fail = f"{failed} (Ignored: {ignored})" if ignored else str(failed)
    return f"Tasks Completed: {completed} (Failed: {fail}, Cancelled 0), Skipped: {skipped}"


# file -> (reason, message, {skipped task: reason}, {pipeline result: value}, {task/result: value}, TaskRun count)
Row = tuple[str, str, dict[str, str], dict[str, Any], dict[str, Any], int]
EXPECTED: dict[str, Row] = {
    # §6.1 #5: task2 when-skipped; tasks.task1.status=Succeeded, tasks.task2.status=None, tasks.status=Completed.
    "pipelineruns/pipelinerun-task-execution-status.yaml": ("Completed", _msg(3, 1), {"task2": WHEN}, {}, {}, 3),
    # §6.1 #7: a pipeline result naming a when-skipped task is omitted without failing the run.
    "pipelineruns/6139-regression.yaml": ("Completed", _msg(1, 1), {"goodbye": WHEN}, {"result-hello": "RES1"}, {}, 1),
    # §6.1 #8: a 3000-byte result is under the 4096-byte budget and travels as a param into env.
    "pipelineruns/4808-regression.yaml": (
        "Succeeded",
        _msg(2),
        {},
        {},
        {"generate-result/RESULT_STRING": "." * 3000},
        2,
    ),
    # §6.1 #11: object param [*] pass-through; object result -> object param.
    "pipelineruns/pipeline-object-param-and-result.yaml": (
        "Succeeded",
        _msg(2),
        {},
        {},
        {"task1/object-result": {"foo": "abc.com", "bar": "sha123"}},
        2,
    ),
    "pipelineruns/using_context_variables.yaml": ("Succeeded", _msg(1), {}, {}, {}, 1),
    "pipelineruns/propagating_params_with_scope_precedence.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/pipelinerun-with-params.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/pipelinerun-with-extra-params.yaml": ("Succeeded", _msg(1), {}, {}, {}, 1),
    # §6.1 #17: the configMap workspace is bound, so the default-motd task is when-skipped.
    "pipelineruns/using-optional-workspaces-in-when-expressions.yaml": (
        "Completed",
        _msg(1, 1),
        {"print-default-motd": WHEN},
        {},
        {},
        1,
    ),
    # §6.1 #19: PipelineTask onError: continue (plain and matrix) -> FailureIgnored; the finally checks the reason.
    "pipelineruns/beta/ignore-task-error.yaml": ("Succeeded", _msg(4, 0, 2, 2), {}, {}, {}, 5),
    # isolated workspaces: only the step that lists the workspace sees it, at its own mountpath (Go's JSON decoding
    # is case-insensitive, so upstream's lowercase "mountpath" is mountPath).
    "pipelineruns/beta/isolated-workspaces.yaml": ("Succeeded", _msg(1), {}, {}, {}, 1),
    # §6.1 #21: 6 combinations + the I-do-not-exist include entry.
    "pipelineruns/beta/pipelinerun-with-matrix-include.yaml": ("Succeeded", _msg(1), {}, {}, {}, 7),
    # §6.1 #22: first param varies fastest (matrix_types.go FanOut).
    "pipelineruns/beta/pipelinerun-with-matrix-emitting-results.yaml": (
        "Succeeded",
        _msg(3),
        {},
        {"pr-result-1": URLS},
        {},
        9 + 1 + 9,
    ),
    "pipelineruns/beta/pipelinerun-with-matrix-context-variables.yaml": ("Succeeded", _msg(3), {}, {}, {}, 5),
    # §6.1 #25: task5's notin is false; its finally passes under busybox sh (no shebang).
    "pipelineruns/beta/pipeline-with-when-expressions-using-array-results.yaml": (
        "Completed",
        _msg(5, 1),
        {"task5": WHEN},
        {},
        {"task1/array-results-1": ["abc.dev/notsofamousimage/image", "ubuntu", "xyz.dev/awesomeness/awesomeness"]},
        5,
    ),
    # Beyond the §6.1 table (all True/Succeeded upstream): PipelineRun params the pipelineSpec does not declare
    # still propagate into embedded taskSpecs (apply.go ApplyParameters/propagateParams), so do PipelineRun
    # workspaces (pipelinerun.go propagateWorkspaces); a pipeline task's subPath takes $(params.x).
    "pipelineruns/propagating_params_in_pipeline.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/propagating_params_with_scope_precedence_default_only.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/propagating-workspaces.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/pipelinerun-using-parameterized-subpath-of-workspace.yaml": ("Succeeded", _msg(3), {}, {}, {}, 3),
    # object result [*] -> object param, .key in args and script.
    "pipelineruns/pipeline-object-results.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/beta/propagated-pipeline-object-param.yaml": ("Succeeded", _msg(1), {}, {}, {}, 1),
    # matrix params from $(params.arr[*]), in DAG and finally: 9 + 9 TaskRuns.
    "pipelineruns/beta/pipelinerun-with-matrix-array-references.yaml": ("Succeeded", _msg(2), {}, {}, {}, 18),
    # an empty array result [] passed whole into an array param.
    "pipelineruns/beta/7392-regression.yaml": (
        "Succeeded",
        _msg(2),
        {},
        {},
        {"task-1/resultArray": [], "task-2/resultArray": []},
        2,
    ),
    # an in-file PersistentVolumeClaim bound with persistentVolumeClaim.claimName; workspaces named without
    # `workspace:` bind the pipeline workspace of the same name.
    "pipelineruns/mapping-workspaces.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/beta/pipelinerun-with-matrix-include-explicit.yaml": ("Succeeded", _msg(1), {}, {}, {}, 3),
    # matrix values from whole-array, indexed and string results: 3 platforms x 2 browsers x 1 url.
    "pipelineruns/beta/pipelinerun-with-matrix-and-results.yaml": ("Succeeded", _msg(3), {}, {}, {}, 2 + 6),
    # a referenced Task gets the workspace its pipeline task names; the embedded one gets it by propagation.
    "pipelineruns/propagating_workspaces_with_referenced_resources.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/pipeline-with-displayname.yaml": (
        "Succeeded",
        _msg(3),
        {},
        {},
        {"sum-two-numbers/sum": "3", "sum-with-third-number/sum": "6"},
        3,
    ),
    # include entries guarded by `when`: only amd64 and arm64 are enabled -> 2 TaskRuns.
    "pipelineruns/beta/pipelinerun-with-matrix-when-include.yaml": ("Succeeded", _msg(1), {}, {}, {}, 2),
    "pipelineruns/pipelinerun-using-different-subpaths-of-workspace.yaml": ("Succeeded", _msg(3), {}, {}, {}, 3),
    "pipelineruns/propagating-workspaces-in-pipelines.yaml": ("Succeeded", _msg(1), {}, {}, {}, 1),
    "pipelineruns/pipelinerun-results-with-params.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/workspace-from-volumeclaimtemplate.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    # taskRunSpecs podTemplate is recorded; the array of matrix results (with their trailing newlines) is spread.
    "pipelineruns/pipelinerun-with-taskrunspecs-matrix-param-substitution.yaml": ("Succeeded", _msg(2), {}, {}, {}, 3),
    "pipelineruns/beta/pipelinerun-with-matrix-include-names.yaml": ("Succeeded", _msg(1), {}, {}, {}, 2),
    "pipelineruns/pipelinerun-with-pipelinespec.yaml": ("Succeeded", _msg(2), {}, {}, {}, 2),
    "pipelineruns/beta/pipelinerun-with-matrix-and-taskrunspecs-param-substitution.yaml": (
        "Succeeded",
        _msg(2),
        {},
        {},
        {},
        3,
    ),
    "taskruns/custom-env.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/home-is-set.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/default_task_params.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/propagating_params_implicit.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # T7: a partial object value is completed from the default; the object result is read back.
    "taskruns/object-param-result.yaml": (
        "Succeeded",
        STEPS_DONE,
        {},
        {},
        {"object-results": {"IMAGE_URL": "ar.com", "IMAGE_DIGEST": "sha234"}},
        1,
    ),
    "taskruns/beta/propagated-object-parameters.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/beta/param_array_indexing.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/propagating_workspaces.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/workspace-with-volumeClaimTemplate.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/using_context_variables.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # Beyond the table: Secret-backed env, read-only workspace, stepTemplate image from a param, every binding kind
    # (PVC with subPath, emptyDir with subPath, configMap items, secret data+stringData) with custom mountPaths.
    "taskruns/secret-env.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/workspace-readonly.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/steptemplate-variable-interop.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/workspace.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # steps cannot write another step's /tekton/steps/<i>/exitCode (the executor binds it read-only).
    "taskruns/readonly-internal-dir.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # args-only and command-less steps run the image's entrypoint (entrypoint_lookup_impl.go), Tekton's nop included.
    "taskruns/entrypoint-resolution.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # a step's own volumeMount over /tekton/home or /workspace hides what earlier steps wrote there (per-step mounts).
    "taskruns/home-volume.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/workspace-volume.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # a Task's own volumes: emptyDir shared by two steps at different paths; configMap/secret volumes (the secret
    # name from a param).
    "taskruns/custom-volume.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/configmap.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/secret-volume-params.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/task-volume-args.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    "taskruns/template-volume.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
    # T3: $(steps.step-x.exitCode.path), /tekton/steps/step-x/exitCode and /tekton/steps/0/exitCode all hold 1.
    "taskruns/ignore-step-error.yaml": ("Succeeded", STEPS_DONE, {}, {}, {}, 1),
}


def test_every_upstream_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == FILES


def _results(svc: PipelineService, obj: dict[str, Any]) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    if obj["kind"] == "TaskRun":
        return {r["name"]: r["value"] for r in obj["status"].get("results", [])}, 1
    trs = svc.taskruns(obj["metadata"]["name"])
    for tr in trs:
        label = (tr["metadata"].get("labels") or {}).get("tekton.dev/pipelineTask") or tr["metadata"]["name"]
        for r in tr["status"].get("results", []):
            out[f"{label}/{r['name']}"] = r["value"]
    return out, len(trs)


@pytest.mark.parametrize("relpath", FILES)
def test_upstream_file(relpath: str, tmp_path: Path) -> None:
    docs = load_file(UPSTREAM / relpath)
    runs = [d for d in docs if d.kind in ("PipelineRun", "TaskRun")]
    others = [d for d in docs if d not in runs]
    assert len(runs) == 1
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry(), parallel=4)
    try:
        obj = svc.run(runs[0], others)
        reason, message, skipped, results, tr_results, count = EXPECTED[relpath]
        cond = obj["status"]["conditions"][0]
        assert (cond["status"], cond["reason"], cond["message"]) == ("True", reason, message), cond
        assert {s["name"]: s["reason"] for s in obj["status"].get("skippedTasks", [])} == skipped
        if obj["kind"] == "PipelineRun":
            assert {r["name"]: r["value"] for r in obj["status"].get("results", [])} == results
        got, n = _results(svc, obj)
        assert {k: got.get(k) for k in tr_results} == tr_results
        assert n == count
    finally:
        svc.close()


def test_matrix_include_merges_as_tekton_does(tmp_path: Path) -> None:
    """§6.1 #21, matrix_types.go FanOut + include: an entry whose keys all match a combination is merged into it
    (package everywhere, flags on s390x, context on go1.17); an entry matching none is appended as its own run."""
    docs = load_file(UPSTREAM / "pipelineruns/beta/pipelinerun-with-matrix-include.yaml")
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(docs[1], [docs[0]])
        name = obj["metadata"]["name"]
        trs = {tr["metadata"]["name"]: tr for tr in svc.taskruns(name)}
        combos = [
            {p["name"]: p["value"] for p in trs[f"{name}-matrix-include-{i}"]["spec"]["params"]} for i in range(7)
        ]
        pkg = {"package": "path/to/common/package/"}
        ctx = {"context": "path/to/go117/context"}
        flags = {"flags": "-cover -v"}
        assert combos == [
            {"GOARCH": "linux/amd64", "version": "go1.17", **pkg, **ctx},
            {"GOARCH": "linux/ppc64le", "version": "go1.17", **pkg, **ctx},
            {"GOARCH": "linux/s390x", "version": "go1.17", **pkg, **flags, **ctx},
            {"GOARCH": "linux/amd64", "version": "go1.18.1", **pkg},
            {"GOARCH": "linux/ppc64le", "version": "go1.18.1", **pkg},
            {"GOARCH": "linux/s390x", "version": "go1.18.1", **pkg, **flags},
            {"GOARCH": "I-do-not-exist"},
        ]
    finally:
        svc.close()


def test_ignored_failures_keep_failure_ignored_reason(tmp_path: Path) -> None:
    """§2.7 (pipelinerun.go, PipelineTask onError: continue): each failed TaskRun is False/FailureIgnored, the run
    goes on and ends True/Succeeded; per matrix TaskRun only the failing combination is ignored."""
    docs = load_file(UPSTREAM / "pipelineruns/beta/ignore-task-error.yaml")
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(docs[0])
        name = obj["metadata"]["name"]
        got = {
            tr["metadata"]["name"].removeprefix(name + "-"): (
                tr["status"]["conditions"][0]["status"],
                tr["status"]["conditions"][0]["reason"],
            )
            for tr in svc.taskruns(name)
        }
        assert got == {
            "echo-continue": ("False", "FailureIgnored"),
            "echo-continue-with-matrix-0": ("True", "Succeeded"),
            "echo-continue-with-matrix-1": ("False", "FailureIgnored"),
            "echo": ("True", "Succeeded"),
            "verify-task-reason": ("True", "Succeeded"),
        }
    finally:
        svc.close()


def test_include_only_matrix_names_taskruns_after_its_entries(tmp_path: Path) -> None:
    """upstream beta/pipelinerun-with-matrix-include-names.yaml: an include-only matrix whose entries all have
    unique DNS-label names gives <pr>-<pt>-<include name>, not the numeric index."""
    docs = load_file(UPSTREAM / "pipelineruns/beta/pipelinerun-with-matrix-include-names.yaml")
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(docs[1], [docs[0]])
        name = obj["metadata"]["name"]
        got = [tr["metadata"]["name"].removeprefix(name) for tr in svc.taskruns(name)]
        assert got == ["-integration-default-config-macro", "-integration-robots-txt"]
    finally:
        svc.close()
