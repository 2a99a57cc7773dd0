"""Every upstream example in shared/corpus/tekton runs unchanged and ends as upstream's code says
(reference/ci-engine.md §6.1: reason, skipped tasks, result values)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.resources.loader import load_file
from shipyard.testing.shared import SHARED

CORPUS = SHARED / "corpus" / "tekton"
FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.yaml"))

WHEN = "When Expressions evaluated to false"
EMPTY = "Matrix Parameters have an empty array"

# file -> per run (in file order): (reason, {skipped task: reason}, {pipeline result: value}, {taskrun result: value})
EXPECTED: dict[str, list[tuple[str, dict[str, str], dict[str, Any], dict[str, Any]]]] = {
    "pipelineruns/pipelinerun-results.yaml": [
        ("Succeeded", {}, {"sum": "22", "partial-sum": "12", "all-sum": "22-12"}, {})
    ],
    "pipelineruns/task_results_example.yaml": [("Succeeded", {}, {}, {"sum-and-multiply/sum": "4024"})],
    "pipelineruns/pipelinerun-with-final-results.yaml": [
        ("Succeeded", {}, {"task-result": "2", "finally-result": "484"}, {})
    ],
    "pipelineruns/pipelinerun-with-when-expressions.yaml": [
        (
            "Completed",
            {
                **{f"task-should-be-skipped-{i}": WHEN for i in range(1, 5)},
                **{f"finally-task-should-be-skipped-{i}": WHEN for i in range(1, 6)},
            },
            {},
            {"check-file/exists": "yes"},
        )
    ],
    "pipelineruns/ignore-step-error.yaml": [
        ("Succeeded", {}, {}, {"task1/task1-result": "123"}),
        ("Succeeded", {}, {}, {}),
    ],
    "pipelineruns/pipelinerun-array-results-substitution.yaml": [
        (
            "Succeeded",
            {},
            {},
            {
                "task1/array-results-1": [
                    "abc.dev/sampler/busysample@sha256:19f02276bf8dbdd62f069b922f10c65262cc34b710eea26ff928129a736be791",
                    "ubuntu",
                    "xyz.dev/awesomeness/awesomeness",
                ],
                "task1/array-results-2": ["", "xyz.dev/awesomeness/awesomeness"],
            },
        )
    ],
    "pipelineruns/pipelinerun-param-array-indexing.yaml": [("Succeeded", {}, {}, {})],
    "pipelineruns/propagating_params_implicit_parameters.yaml": [("Succeeded", {}, {}, {})],
    # §6.1 #12: the result keeps its trailing newline.
    "pipelineruns/propagating_results_implicit_resultref.yaml": [("Succeeded", {}, {}, {"add-uid/uid": "1001\n"})],
    "pipelineruns/pipelinerun-with-pipelinespec-and-taskspec.yaml": [("Succeeded", {}, {}, {})] * 3,
    "pipelineruns/beta/using-retries-and-retry-count-variables.yaml": [("Succeeded", {}, {}, {})],
    "pipelineruns/beta/pipelinerun-with-matrix.yaml": [
        (
            "Completed",
            {
                "matrix-params-with-empty-array-skipped": EMPTY,
                "matrix-params-with-empty-array-skipped-in-finally": EMPTY,
            },
            {},
            {},
        )
    ],
    "pipelineruns/beta/pipeline-emitting-results.yaml": [
        (
            "Succeeded",
            {},
            {
                "array-results": ["1", "2", "3"],
                "array-results-from-array-indexing-and-object-elements": ["1", "bar"],
                "array-indexing-results": "2",
                "object-results": {"foo": "bar", "hello": "world"},
                "object-results-from-array-indexing-and-object-elements": {"key1": "2", "key2": "world"},
                "object-element": "bar",
            },
            {},
        )
    ],
    "taskruns/array-default.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/optional-workspaces.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/steps-run-in-order.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/steptemplate-env-merge.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/task-result.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/unnamed-steps.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/workingdir.yaml": [("Succeeded", {}, {}, {})],
    "taskruns/beta/emit-array-results.yaml": [
        ("Succeeded", {}, {}, {"write-array-tr/array-results": ["hello", "world"]})
    ],
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == FILES


def _taskrun_results(svc: PipelineService, obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tr in svc.taskruns(obj["metadata"]["name"]):
        label = (tr["metadata"].get("labels") or {}).get("tekton.dev/pipelineTask") or tr["metadata"]["name"]
        for r in tr["status"].get("results", []):
            out[f"{label}/{r['name']}"] = r["value"]
    return out


@pytest.mark.parametrize("relpath", FILES)
def test_corpus_file(relpath: str, tmp_path: Path) -> None:
    docs = load_file(CORPUS / relpath)
    runs = [d for d in docs if d.kind in ("PipelineRun", "TaskRun")]
    others = [d for d in docs if d not in runs]
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry(), parallel=4)
    try:
        objects = [svc.run(d, others) for d in runs]
        expected = EXPECTED[relpath]
        assert len(objects) == len(expected)
        for obj, (reason, skipped, results, tr_results) in zip(objects, expected, strict=True):
            cond = obj["status"]["conditions"][0]
            assert (cond["status"], cond["reason"]) == ("True", reason), cond
            got_skips = {s["name"]: s["reason"] for s in obj["status"].get("skippedTasks", [])}
            assert got_skips == skipped
            got_results = {r["name"]: r["value"] for r in obj["status"].get("results", [])}
            if obj["kind"] == "PipelineRun":
                assert got_results == results
            got_tr = _taskrun_results(svc, obj)
            assert {k: got_tr.get(k) for k in tr_results} == tr_results
    finally:
        svc.close()


def test_retried_task_keeps_its_failed_attempt(tmp_path: Path) -> None:
    """§6.1 #18: the first attempt exits 1, the retry succeeds; retriesStatus holds the failed attempt."""
    docs = load_file(CORPUS / "pipelineruns/beta/using-retries-and-retry-count-variables.yaml")
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(docs[0])
        retry = next(tr for tr in svc.taskruns(obj["metadata"]["name"]) if tr["metadata"]["name"].endswith("-retry-me"))
        assert len(retry["status"]["retriesStatus"]) == 1
        assert retry["status"]["retriesStatus"][0]["conditions"][0]["status"] == "False"
        assert retry["status"]["conditions"][0]["reason"] == "Succeeded"
    finally:
        svc.close()


def test_matrix_fans_out_with_first_param_fastest(tmp_path: Path) -> None:
    """docs/matrix.md + matrix_types.go FanOut: TaskRuns <pr>-<pt>-<i>; platform=[linux], browser=[chrome,firefox]."""
    docs = load_file(CORPUS / "pipelineruns/beta/pipelinerun-with-matrix.yaml")
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(docs[1], [docs[0]])
        name = obj["metadata"]["name"]
        trs = {tr["metadata"]["name"]: tr for tr in svc.taskruns(name)}
        combos = [
            {p["name"]: p["value"] for p in trs[f"{name}-platforms-and-browsers-{i}"]["spec"]["params"]}
            for i in range(2)
        ]
        assert combos == [{"platform": "linux", "browser": "chrome"}, {"platform": "linux", "browser": "firefox"}]
        refs = [
            r["name"] for r in obj["status"]["childReferences"] if r["pipelineTaskName"] == "platforms-and-browsers"
        ]
        assert refs == [f"{name}-platforms-and-browsers-0", f"{name}-platforms-and-browsers-1"]
    finally:
        svc.close()
