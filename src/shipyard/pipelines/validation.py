"""Validation of Tekton documents, collecting every problem with its field path (Tekton's ``Validate`` methods:
``errs.Also(...).ViaFieldIndex("tasks", i)``), and "did you mean" for misspelt names.

Checks beyond the schema: names (DNS labels, unique; params case-insensitively, ``ValidateParameterTypes``),
``taskRef`` xor ``taskSpec``, step ``script`` with ``command``, ``onError`` values, Go durations, ``when``
operators, ``retries`` with ``onError``, matrix params also in params, ``runAfter`` in finally, the DAG (unknown
tasks, result references, cycles: ``dag.Build``), ``$(params.x)`` naming an undeclared pipeline param, and
PipelineRun timeouts (``tasks + finally <= pipeline``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from shipyard.pipelines import dag
from shipyard.pipelines.schema_issues import lenient, merge_param_value_issues
from shipyard.pipelines.substitution import references, split_ref
from shipyard.resources.durations import parse_duration
from shipyard.resources.loader import Document, PathKey
from shipyard.resources.tekton import (
    MODELS,
    TEKTON_VERSIONS,
    ParamSpec,
    PipelineRun,
    PipelineSpec,
    PipelineTask,
    TaskRun,
    TaskSpec,
)
from shipyard.resources.validate import Issues, did_you_mean, validate_model

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
ON_ERROR_STEP = ("continue", "stopAndFail")


def validate_document(doc: Document, issues: Issues) -> None:
    """The ``shipyard lint`` entry for Tekton kinds and ConfigMap/Secret (registered in ``resources.kinds``)."""
    check(doc, issues)


def check(doc: Document, issues: Issues) -> BaseModel | None:
    if not isinstance(doc.data, dict):
        issues.add((), "a resource must be a mapping with apiVersion, kind and metadata")
        return None
    if not isinstance(doc.kind, str) or not doc.kind:
        issues.add(("kind",), "required field is missing")
        return None
    kind = doc.kind
    model = MODELS.get(kind)
    if model is None:
        issues.add(("kind",), f'unknown kind "{kind}"{did_you_mean(kind, MODELS)}')
        return None
    api = doc.api_version or ""
    if kind in ("ConfigMap", "Secret", "PersistentVolumeClaim"):
        if api != "v1":
            issues.add(("apiVersion",), f'{kind} is apiVersion "v1", not "{api}"')
    elif api not in TEKTON_VERSIONS:
        issues.add(("apiVersion",), f'unsupported apiVersion "{api}" for {kind} (use {" or ".join(TEKTON_VERSIONS)})')
    before = len(issues)
    obj = validate_model(model, doc, issues=issues)
    if obj is None:
        # Keep going on what is valid, so one bad field does not hide the other problems (lint reports all).
        obj = lenient(model, doc.data)
        if obj is None:
            return None
    issues.items[before:] = merge_param_value_issues(issues.items[before:])
    schema_paths = {i.path for i in issues.items[before:]}
    semantic_from = len(issues)
    _semantic(obj, kind, issues)
    # A field the schema already rejected is not reported twice; problems are listed in file order.
    found = issues.items[before:semantic_from] + [i for i in issues.items[semantic_from:] if i.path not in schema_paths]
    del issues.items[before:]
    issues.items.extend(sorted(found, key=lambda i: (i.line or 0, i.path)))
    return obj if len(issues) == before else None


def _semantic(obj: Any, kind: str, issues: Issues) -> None:
    meta = obj.metadata
    if not meta.name and not (meta.generate_name and kind in ("PipelineRun", "TaskRun")):
        issues.add(("metadata",), "metadata.name is required" + (" (or generateName)" if kind.endswith("Run") else ""))
    spec: Any = getattr(obj, "spec", None)
    if kind in ("Task", "ClusterTask"):
        _task_spec(spec, ("spec",), issues, standalone=True)
    elif kind == "Pipeline":
        _pipeline_spec(spec, ("spec",), issues)
    elif isinstance(obj, PipelineRun):
        _pipelinerun(obj, issues)
    elif isinstance(obj, TaskRun):
        _taskrun(obj, issues)


def _refs_with_paths(value: Any, path: PathKey) -> list[tuple[PathKey, str]]:
    if isinstance(value, str):
        return [(path, e) for e in references(value)]
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in _refs_with_paths(v, (*path, k))]
    if isinstance(value, list):
        return [r for i, v in enumerate(value) for r in _refs_with_paths(v, (*path, i))]
    return []


def _duration(value: str | None, path: PathKey, issues: Issues) -> float | None:
    if value is None:
        return None
    try:
        d = parse_duration(value)
    except ValueError as exc:
        issues.add(path, str(exc))
        return None
    if d < 0:
        issues.add(path, f'"{value}" must not be negative')
    return d


def _params(specs: Sequence[ParamSpec], path: PathKey, issues: Issues) -> None:
    seen: dict[str, str] = {}
    for i, p in enumerate(specs):
        if not PARAM_NAME.match(p.name):
            issues.add((*path, i, "name"), f'invalid param name "{p.name}": must match {PARAM_NAME.pattern}')
        low = p.name.lower()
        if low in seen:
            issues.add(
                (*path, i, "name"), f'duplicate param "{p.name}" (param names are case-insensitive; see "{seen[low]}")'
            )
        seen[low] = p.name
        if p.default is not None and p.type is not None and p.kind != _type(p.default):
            issues.add((*path, i, "default"), f"default is {_type(p.default)} but the param is declared {p.kind}")
        if p.kind == "object" and not p.properties:
            issues.add((*path, i, "properties"), "an object param needs properties")


def _type(v: Any) -> str:
    return "array" if isinstance(v, list) else "object" if isinstance(v, dict) else "string"


def _task_spec(spec: TaskSpec, path: PathKey, issues: Issues, *, standalone: bool) -> None:
    if spec.resources is not None:
        issues.add((*path, "resources"), "PipelineResources were removed in tekton.dev/v1; use workspaces and params")
    if not spec.steps:
        issues.add((*path, "steps"), "a Task needs at least one step")
    _params(spec.params, (*path, "params"), issues)
    names: set[str] = set()
    for i, step in enumerate(spec.steps):
        sp = (*path, "steps", i)
        if step.name:
            if not DNS_LABEL.match(step.name):
                issues.add(
                    (*sp, "name"), f'invalid step name "{step.name}": must be a DNS label (lower case, digits, "-")'
                )
            if step.name in names:
                issues.add((*sp, "name"), f'duplicate step name "{step.name}"')
            names.add(step.name)
        if step.script is not None and step.command:
            issues.add((*sp, "script"), "script cannot be used with command")
        if step.on_error is not None and step.on_error not in ON_ERROR_STEP and "$(" not in step.on_error:
            issues.add(
                (*sp, "onError"),
                f'invalid value "{step.on_error}"{did_you_mean(step.on_error, ON_ERROR_STEP)}: expected "continue" or "stopAndFail"',
            )
        if not step.image and not (spec.step_template and spec.step_template.image) and step.ref is None:
            issues.add((*sp, "image"), "required field is missing")
        _duration(step.timeout, (*sp, "timeout"), issues)
    _whole_array_refs(spec, path, issues)
    if standalone:
        declared = {p.name for p in spec.params}
        results = {r.name for r in spec.results}
        raw = spec.model_dump(by_alias=True, exclude_none=True)
        for i, step in enumerate(raw.get("steps", [])):
            for expr in references(step):
                parts = split_ref(expr)
                if not parts or len(parts) < 2:
                    continue
                if parts[0] == "params" and str(parts[1]) not in declared:
                    issues.add(
                        (*path, "steps", i),
                        f'non-existent variable "$({expr})": no param "{parts[1]}"{did_you_mean(str(parts[1]), declared)}',
                    )
                if parts[0] == "results" and str(parts[1]) not in results:
                    issues.add(
                        (*path, "steps", i),
                        f'non-existent variable "$({expr})": no result "{parts[1]}"{did_you_mean(str(parts[1]), results)}',
                    )


def _whole_array_refs(spec: TaskSpec, path: PathKey, issues: Issues) -> None:
    """task_validation.go validateStepArrayUsage/validateStepObjectUsage: a whole array or object param
    (``$(params.a)``, ``$(params.a[*])``) may only stand as a whole element of ``command``/``args``; in a step's
    name, image, workingDir, script or env value it is ``variable type invalid in "<value>"``. Indexing
    (``$(params.a[0])``) and object keys (``$(params.o.key)``) are fine everywhere."""
    whole = {p.name for p in spec.params if p.kind in ("array", "object")}
    if not whole:
        return
    for i, step in enumerate(spec.steps):
        fields: list[tuple[PathKey, str | None]] = [
            (("name",), step.name),
            (("image",), step.image),
            (("workingDir",), step.working_dir),
            (("script",), step.script),
        ]
        fields += [(("env", j, "value"), e.value) for j, e in enumerate(step.env or [])]
        for sub, value in fields:
            if not value:
                continue
            for expr in references(value):
                parts = split_ref(expr) or ()
                whole_ref = len(parts) == 2 or (len(parts) > 2 and parts[2] == "*")
                if parts and parts[0] == "params" and whole_ref and str(parts[1]) in whole:
                    issues.add((*path, "steps", i, *sub), f"variable type invalid in {_go_quote(value)}")
                    break


def _go_quote(value: str) -> str:
    """Go's ``%q`` for the common characters (what Tekton's message quotes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _pipeline_task(pt: PipelineTask, path: PathKey, issues: Issues, *, is_finally: bool) -> None:
    if not DNS_LABEL.match(pt.name):
        issues.add((*path, "name"), f'invalid task name "{pt.name}": must be a DNS label (lower case, digits, "-")')
    kinds = [
        k
        for k, v in (
            ("taskRef", pt.task_ref),
            ("taskSpec", pt.task_spec),
            ("pipelineRef", pt.pipeline_ref),
            ("pipelineSpec", pt.pipeline_spec),
        )
        if v is not None
    ]
    if len(kinds) != 1:
        issues.add(
            path,
            "expected exactly one of taskRef or taskSpec"
            + (f", got {' and '.join(kinds)}" if kinds else ", got neither"),
        )
    if pt.task_ref is not None and not pt.task_ref.name and not pt.task_ref.resolver:
        issues.add((*path, "taskRef", "name"), "required field is missing")
    if pt.task_spec is not None:
        _task_spec(pt.task_spec, (*path, "taskSpec"), issues, standalone=False)
    if pt.on_error is not None and pt.on_error not in ON_ERROR_STEP:
        issues.add((*path, "onError"), f'invalid value "{pt.on_error}"{did_you_mean(pt.on_error, ON_ERROR_STEP)}')
    if pt.on_error == "continue" and pt.retries:
        issues.add((*path, "onError"), "PipelineTask onError cannot be set along with retries")
    if pt.retries < 0:
        issues.add((*path, "retries"), "retries must not be negative")
    if is_finally and pt.run_after:
        issues.add((*path, "runAfter"), "runAfter is not allowed in finally tasks")
    _duration(pt.timeout, (*path, "timeout"), issues)
    for i, w in enumerate(pt.when):
        wp = (*path, "when", i)
        if w.cel is not None:
            if w.input is not None or w.operator is not None or w.values:
                issues.add(wp, "a when expression has either cel or input/operator/values")
            continue
        if w.input is None:
            issues.add((*wp, "input"), "required field is missing")
        if w.operator is None:
            issues.add((*wp, "operator"), 'required field is missing (use "in" or "notin")')
        if not w.values:
            issues.add((*wp, "values"), "expecting non-empty values field")
    names = [p.name for p in pt.params]
    for i, n in enumerate(names):
        if n in names[:i]:
            issues.add((*path, "params", i, "name"), f'duplicate param "{n}"')
    if pt.matrix is not None:
        for i, p in enumerate(pt.matrix.params):
            if p.name in names:
                issues.add((*path, "matrix", "params", i, "name"), f'param "{p.name}" is in both params and matrix')
            if isinstance(p.value, str) and not p.value.startswith("$("):
                issues.add((*path, "matrix", "params", i, "value"), "matrix params must be arrays")


def _pipeline_spec(spec: PipelineSpec, path: PathKey, issues: Issues) -> None:
    _params(spec.params, (*path, "params"), issues)
    all_tasks = [*spec.tasks, *spec.finally_]
    seen: set[str] = set()
    for field, tasks in (("tasks", spec.tasks), ("finally", spec.finally_)):
        for i, pt in enumerate(tasks):
            if pt.name in seen:
                issues.add((*path, field, i, "name"), f'duplicate task name "{pt.name}"')
            seen.add(pt.name)
            _pipeline_task(pt, (*path, field, i), issues, is_finally=field == "finally")
    if not spec.tasks:
        issues.add((*path, "tasks"), "a Pipeline needs at least one task")
    _, graph_issues = dag.build(spec.tasks, finally_names=[t.name for t in spec.finally_])
    for gi in graph_issues:
        issues.add((*path, "tasks", gi.index, *gi.path), gi.message)
    dag_names = [t.name for t in spec.tasks]
    for i, pt in enumerate(spec.finally_):
        for sub, value in dag.task_ref_sources(pt):
            for task, _ in dag.result_refs(value):
                if task not in dag_names:
                    issues.add(
                        (*path, "finally", i, *sub),
                        f'result reference to unknown task "{task}"{did_you_mean(task, dag_names)}',
                    )
    declared = {p.name for p in spec.params}
    for field, tasks in (("tasks", spec.tasks), ("finally", spec.finally_)):
        for i, pt in enumerate(tasks):
            raw = pt.model_dump(by_alias=True, exclude_none=True, include={"params", "when", "matrix"})
            raw.get("matrix", {}).pop("include", None)  # include names may use the matrix params themselves
            for sub, expr in _refs_with_paths(raw, (*path, field, i)):
                parts = split_ref(expr)
                if parts and len(parts) >= 2 and parts[0] == "params" and str(parts[1]) not in declared:
                    hint = did_you_mean(str(parts[1]), declared)
                    issues.add(sub, f'non-existent variable "$({expr})": the pipeline has no param "{parts[1]}"{hint}')
    names = [t.name for t in all_tasks]
    for i, r in enumerate(spec.results):
        for expr in references(r.value):
            parts = split_ref(expr)
            if parts and parts[0] in ("tasks", "finally") and len(parts) >= 2 and str(parts[1]) not in names:
                issues.add(
                    (*path, "results", i, "value"),
                    f'result reference to unknown task "{parts[1]}"{did_you_mean(str(parts[1]), names)}',
                )


def _pipelinerun(run: PipelineRun, issues: Issues) -> None:
    spec = run.spec
    if (spec.pipeline_ref is None) == (spec.pipeline_spec is None):
        issues.add(("spec",), "expected exactly one of pipelineRef or pipelineSpec")
    if spec.pipeline_spec is not None:
        _pipeline_spec(spec.pipeline_spec, ("spec", "pipelineSpec"), issues)
    if spec.timeouts is not None:
        t = spec.timeouts
        p = _duration(t.pipeline, ("spec", "timeouts", "pipeline"), issues)
        k = _duration(t.tasks, ("spec", "timeouts", "tasks"), issues)
        f = _duration(t.finally_, ("spec", "timeouts", "finally"), issues)
        if p:
            if k is not None and k > p:
                issues.add(
                    ("spec", "timeouts", "tasks"), f'"{t.tasks}" must not exceed timeouts.pipeline "{t.pipeline}"'
                )
            if k is not None and f is not None and k + f > p:
                issues.add(("spec", "timeouts"), "tasks + finally must not exceed pipeline")
        # A zero pipeline timeout allows any tasks/finally timeout; a non-zero one forbids zero for either.
        if p and ((k == 0 and t.tasks is not None) or (f == 0 and t.finally_ is not None)):
            issues.add(("spec", "timeouts"), "tasks or finally can be 0 only when pipeline is 0")
    _duration(spec.timeout, ("spec", "timeout"), issues)
    _bindings([w.model_dump(by_alias=True, exclude_none=True) for w in spec.workspaces], issues)


def _taskrun(run: TaskRun, issues: Issues) -> None:
    spec = run.spec
    if (spec.task_ref is None) == (spec.task_spec is None):
        issues.add(("spec",), "expected exactly one of taskRef or taskSpec")
    if spec.task_spec is not None:
        _task_spec(spec.task_spec, ("spec", "taskSpec"), issues, standalone=False)
    _duration(spec.timeout, ("spec", "timeout"), issues)
    _bindings([w.model_dump(by_alias=True, exclude_none=True) for w in spec.workspaces], issues)


VOLUME_KEYS = ("emptyDir", "volumeClaimTemplate", "persistentVolumeClaim", "configMap", "secret", "projected", "csi")


def _bindings(bindings: list[dict[str, Any]], issues: Issues) -> None:
    for i, b in enumerate(bindings):
        kinds = [k for k in VOLUME_KEYS if k in b]
        if len(kinds) > 1:
            issues.add(("spec", "workspaces", i), f"expected exactly one volume source, got {' and '.join(kinds)}")
