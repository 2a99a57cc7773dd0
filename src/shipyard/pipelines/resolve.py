"""Turn loaded documents into what a run needs: the run itself, the Tasks/Pipelines its refs name, and the
ConfigMaps/Secrets its workspaces and env use. Every document is validated first; all problems are raised at once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shipyard.errors import NotFoundError, SpecErrors, UnsupportedError
from shipyard.pipelines.params import (
    ParamProblem,
    params_dict,
    pipelinerun_param_failure,
    resolve_params,
    validate_params_error,
)
from shipyard.pipelines.state import Cancel, RunState
from shipyard.pipelines.substitution import Value
from shipyard.pipelines.taskrun import check_supported, propagate_workspaces, with_pod_volumes
from shipyard.pipelines.validation import check
from shipyard.resources.durations import parse_duration
from shipyard.resources.loader import Document
from shipyard.resources.tekton import (
    ConfigMap,
    Pipeline,
    PipelineRun,
    PipelineSpec,
    Ref,
    Secret,
    Task,
    TaskRun,
    TaskSpec,
)
from shipyard.resources.validate import Issues, did_you_mean

RUN_KINDS = ("PipelineRun", "TaskRun")


@dataclass(slots=True)
class Catalog:
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    pipelines: dict[str, PipelineSpec] = field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)

    def task(self, ref: Ref, where: str) -> TaskSpec:
        if ref.resolver or ref.bundle:
            raise UnsupportedError(
                f"{where}: remote resolution (resolver/bundle) is not supported; put the Task in the files or --resources"
            )
        name = ref.name or ""
        if name not in self.tasks:
            raise NotFoundError(
                f'{where}: Task "{name}" not found{did_you_mean(name, self.tasks)}; pass the file that defines it, or --resources DIR'
            )
        return self.tasks[name]

    def pipeline(self, ref: Ref, where: str) -> PipelineSpec:
        if ref.resolver or ref.bundle:
            raise UnsupportedError(f"{where}: remote resolution (resolver/bundle) is not supported")
        name = ref.name or ""
        if name not in self.pipelines:
            raise NotFoundError(
                f'{where}: Pipeline "{name}" not found{did_you_mean(name, self.pipelines)}; pass the file that defines it, or --resources DIR'
            )
        return self.pipelines[name]

    def key_values(self) -> dict[tuple[str, str, str], str]:
        out: dict[tuple[str, str, str], str] = {}
        for name, data in self.config_maps.items():
            out.update({("ConfigMap", name, k): v for k, v in data.items()})
        for name, data in self.secrets.items():
            out.update({("Secret", name, k): v for k, v in data.items()})
        return out

    def secret_values(self) -> frozenset[str]:
        return frozenset(v for data in self.secrets.values() for v in data.values() if v)


@dataclass(slots=True)
class Loaded:
    runs: list[tuple[Document, PipelineRun | TaskRun]]
    catalog: Catalog


def load(docs: Sequence[Document], resources: Sequence[Document] = ()) -> Loaded:
    """Validate every document (all problems at once) and sort them into runs and a catalog."""
    problems = []
    catalog = Catalog()
    runs: list[tuple[Document, PipelineRun | TaskRun]] = []
    for doc in [*docs, *resources]:
        issues = Issues(doc)
        obj = check(doc, issues)
        problems.extend(issues.items)
        if obj is None:
            continue
        if isinstance(obj, PipelineRun | TaskRun):
            if doc in docs:
                runs.append((doc, obj))
        elif isinstance(obj, Task):
            catalog.tasks[obj.metadata.name or ""] = obj.spec
        elif isinstance(obj, Pipeline):
            catalog.pipelines[obj.metadata.name or ""] = obj.spec
        elif isinstance(obj, ConfigMap):
            catalog.config_maps[obj.metadata.name or ""] = dict(obj.data)
        elif isinstance(obj, Secret):
            data = dict(obj.string_data)
            bad = Issues(doc)
            for k, v in obj.data.items():
                try:
                    data.setdefault(k, base64.b64decode(v, validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    bad.add(("data", k), "Secret data must be base64")
            problems.extend(bad.items)
            catalog.secrets[obj.metadata.name or ""] = data
    if problems:
        raise SpecErrors(problems)
    return Loaded(runs=runs, catalog=catalog)


def new_run_state(
    model: PipelineRun,
    catalog: Catalog,
    *,
    name: str,
    uid: str,
    now: float,
    params: Mapping[str, Value] | None = None,
    host_workspaces: Iterable[str] = (),
) -> RunState:
    """The initial state of a PipelineRun: refs resolved, params resolved (defaults may use context), workspaces
    checked (``ValidateWorkspaceBindings``), timeouts defaulted (pipeline 60m; ``0`` means none)."""
    params = params or {}
    meta = model.metadata
    namespace = meta.namespace or "default"
    spec = model.spec.pipeline_spec or catalog.pipeline(model.spec.pipeline_ref, f"PipelineRun {name}")  # type: ignore[arg-type]
    pipeline_name = (
        (model.spec.pipeline_ref.name if model.spec.pipeline_ref else None)
        or meta.labels.get("tekton.dev/pipeline")
        or "anonymous"
    )
    task_specs: dict[str, TaskSpec] = {}
    inline: dict[str, bool] = {}
    # Embedded taskSpecs get every workspace they use that the run binds, declared by the pipeline or not
    # (pipelinerun.go propagateWorkspaces -> getTaskrunWorkspaces looks the name up in the PipelineRun's bindings;
    # examples/v1/pipelineruns/propagating-workspaces.yaml declares none in its pipelineSpec).
    bound = {w.name for w in model.spec.workspaces} | set(host_workspaces)
    available = [w.name for w in spec.workspaces] + sorted(bound - {w.name for w in spec.workspaces})
    for pt in [*spec.tasks, *spec.finally_]:
        if pt.pipeline_ref is not None or pt.pipeline_spec is not None:
            raise UnsupportedError(
                f'task "{pt.name}": pipelines in pipelines (pipelineRef/pipelineSpec) are not supported'
            )
        ts = pt.task_spec or catalog.task(pt.task_ref, f'PipelineRun {name} task "{pt.name}"')  # type: ignore[arg-type]
        templates = [s.pod_template for s in model.spec.task_run_specs if s.pipeline_task_name == pt.name]
        run_template = model.spec.task_run_template.pod_template if model.spec.task_run_template else None
        ts = with_pod_volumes(ts, *templates, run_template, model.spec.pod_template)
        check_supported(ts, f'task "{pt.name}"')
        if pt.task_spec is not None:
            ts = propagate_workspaces(ts, available)
        task_specs[pt.name] = ts
        inline[pt.name] = pt.task_spec is not None
    supplied = {**params_dict(model.spec.params), **params}
    ctx = {
        "context": {
            "pipelineRun": {"name": name, "namespace": namespace, "uid": uid},
            "pipeline": {"name": pipeline_name},
        }
    }
    values, problems = resolve_params(spec.params, supplied, context=ctx)
    # A param the run passes but the pipeline does not declare is still substituted (pipelinerun/resources/apply.go
    # ApplyParameters takes every PipelineRun param) and so propagates into embedded taskSpecs (propagateParams);
    # examples/v1/pipelineruns/propagating-workspaces.yaml relies on it.
    for key, value in supplied.items():
        values.setdefault(key, value)
    timeouts = model.spec.timeouts
    tp = timeouts.pipeline if timeouts and timeouts.pipeline else model.spec.timeout
    state = RunState(
        name=name,
        uid=uid,
        namespace=namespace,
        pipeline_name=pipeline_name,
        spec=spec,
        task_specs=task_specs,
        inline=inline,
        params=values,
        workspaces_bound={w.name: w.name in bound for w in spec.workspaces},
        start=now,
        timeout_pipeline=(parse_duration(tp) if tp else 3600.0) or None,
        timeout_tasks=(parse_duration(timeouts.tasks) or None) if timeouts and timeouts.tasks else None,
        timeout_finally=(parse_duration(timeouts.finally_) or None) if timeouts and timeouts.finally_ else None,
    )
    # pipelinerun.go reconcile checks these in this order; the first failure is the run's condition.
    meta_name = model.spec.pipeline_ref.name if model.spec.pipeline_ref and model.spec.pipeline_ref.name else name
    state.failure = pipelinerun_param_failure(problems, run=name, namespace=namespace, pipeline=meta_name)
    for w in spec.workspaces:
        if not w.optional and w.name not in bound and state.failure is None:
            state.failure = (
                "InvalidWorkspaceBindings",
                f"PipelineRun {namespace}/{name} doesn't bind Pipeline {namespace}/{meta_name}'s Workspaces correctly: "
                f'pipeline requires workspace with name "{w.name}" be provided by pipelinerun',
            )
    if state.failure is None:
        state.failure = _pipeline_task_params_failure(spec, task_specs, inline, set(values), name)
    if model.spec.status == "PipelineRunPending":
        raise UnsupportedError(f'PipelineRun {name}: status "PipelineRunPending" (do not start yet) is not supported')
    if model.spec.status is not None:
        state.cancel = Cancel(model.spec.status)  # Cancelled | CancelledRunFinally | StoppedRunFinally
    return state


def _pipeline_task_params_failure(
    spec: PipelineSpec,
    task_specs: Mapping[str, TaskSpec],
    inline: Mapping[str, bool],
    pipeline_params: set[str],
    run: str,
) -> tuple[str, str] | None:
    """A pipeline task that leaves a Task param without a value fails the run before any TaskRun is created
    (pipelinerun.go: ``ValidateResolvedTask`` -> ``PipelineValidationFailed``). An embedded taskSpec also gets the
    pipeline's params by propagation, so those count as given."""
    for pt in [*spec.tasks, *spec.finally_]:
        given = {p.name for p in pt.params}
        if pt.matrix is not None:
            given |= {p.name for p in pt.matrix.params}
            given |= {p.name for inc in pt.matrix.include for p in inc.params}
        if inline[pt.name]:
            given |= pipeline_params
        missing = [
            ParamProblem("ParameterMissing", "", p.name)
            for p in task_specs[pt.name].params
            if p.default is None and p.name not in given
        ]
        text = validate_params_error(missing)
        if text is not None:
            task = "" if inline[pt.name] else (pt.task_ref.name if pt.task_ref and pt.task_ref.name else "")
            return (
                "PipelineValidationFailed",
                f"Validation failed for pipelinerun {run} with error [User error] invalid input params for task "
                f"{task}: {text}",
            )
    return None
