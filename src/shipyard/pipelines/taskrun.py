"""Resolve a TaskSpec into the steps one TaskRun runs: params, context, workspaces, results paths, stepTemplate.

Tekton ``pkg/reconciler/taskrun/resources/apply.go`` (``ApplyParameters``, ``ApplyContexts``, ``ApplyWorkspaces``,
``ApplyResults``, ``ApplyStepExitCodePath``) and ``pkg/apis/pipeline/v1/merge.go`` (``MergeStepsWithStepTemplate``:
fields set on a step win, ``env`` is merged by name). Unnamed steps are ``step-unnamed-<i>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import UnsupportedError
from shipyard.pipelines.params import ParamProblem, resolve_params
from shipyard.pipelines.substitution import Value, references, split_ref, substitute_tree
from shipyard.resources.durations import parse_duration
from shipyard.resources.tekton import TaskSpec, WorkspaceDeclaration

RESULTS_DIR = "/tekton/results"
STEPS_DIR = "/tekton/steps"
HOME = "/tekton/home"
ARRAY_FIELDS = frozenset({"command", "args"})


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    name: str  # container name
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    script: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str | None = None
    timeout: float | None = None
    on_error: str = "stopAndFail"


@dataclass(frozen=True, slots=True)
class WorkspaceUse:
    name: str
    mount_path: str
    bound: bool
    read_only: bool


@dataclass(frozen=True, slots=True)
class ResolvedTaskRun:
    steps: tuple[ResolvedStep, ...]
    workspaces: tuple[WorkspaceUse, ...]
    params: dict[str, Value]
    problems: tuple[ParamProblem, ...] = ()
    secrets: frozenset[str] = frozenset()  # values to mask in logs
    spec: dict[str, Any] = field(default_factory=dict)  # the substituted taskSpec, for status.taskSpec


@dataclass(frozen=True, slots=True)
class Binding:
    """What a TaskRun knows of a bound workspace: claim and volume names for ``$(workspaces.w.claim|volume)``."""

    claim: str = ""
    volume: str = ""
    read_only: bool = False


def container_name(step: Mapping[str, Any], index: int) -> str:
    name = step.get("name")
    return f"step-{name}" if name else f"step-unnamed-{index}"


def _merge_template(step: dict[str, Any], template: dict[str, Any] | None) -> dict[str, Any]:
    if not template:
        return step
    merged = {**template, **{k: v for k, v in step.items() if k != "env"}}
    env: dict[str, dict[str, Any]] = {e["name"]: e for e in template.get("env", [])}
    for e in step.get("env", []):
        env[e["name"]] = e
    if env:
        merged["env"] = list(env.values())
    return merged


def resolve_taskrun(
    spec: TaskSpec,
    supplied: Mapping[str, Value],
    *,
    taskrun_name: str,
    taskrun_uid: str,
    namespace: str,
    task_name: str,
    retry_count: int,
    inline: bool,
    bindings: Mapping[str, Binding],
    propagated: Mapping[str, Value] | None = None,
    extra_context: Mapping[str, Any] | None = None,
    key_values: Mapping[tuple[str, str, str], str] | None = None,
    secret_values: frozenset[str] = frozenset(),
) -> ResolvedTaskRun:
    """Everything substituted; ``key_values[("Secret"|"ConfigMap", name, key)]`` feeds ``env[].valueFrom``."""
    context: dict[str, Any] = {
        "taskRun": {"name": taskrun_name, "namespace": namespace, "uid": taskrun_uid},
        "task": {"name": task_name},
    }
    if inline:
        # docs/variables.md: context.task.retry-count is substituted only for embedded specs.
        context["task"]["retry-count"] = str(retry_count)
    for k, v in (extra_context or {}).items():
        context[k] = {**context.get(k, {}), **v}
    values, problems = resolve_params(spec.params, supplied, context={"context": context}, propagated=propagated)
    workspaces: dict[str, Any] = {}
    uses: list[WorkspaceUse] = []
    for w in spec.workspaces:
        path = w.mount_path or f"/workspace/{w.name}"
        b = bindings.get(w.name)
        if b is None:
            workspaces[w.name] = {"path": "", "bound": "false", "claim": "", "volume": ""}
            if not w.optional:
                problems.append(
                    ParamProblem("TaskRunValidationFailed", f'workspace "{w.name}" is required but was not bound')
                )
            continue
        workspaces[w.name] = {"path": path, "bound": "true", "claim": b.claim, "volume": b.volume}
        uses.append(WorkspaceUse(w.name, path, True, w.read_only or b.read_only))
    raw = spec.model_dump(by_alias=True, exclude_none=True)
    steps_raw: list[dict[str, Any]] = raw.get("steps", [])
    scope: dict[str, Any] = {
        "params": values,
        "inputs": {"params": values},
        "context": context,
        "workspaces": workspaces,
        "results": {r.name: {"path": f"{RESULTS_DIR}/{r.name}"} for r in spec.results},
        "steps": {
            container_name(s, i): {"exitCode": {"path": f"{STEPS_DIR}/{container_name(s, i)}/exitCode"}}
            for i, s in enumerate(steps_raw)
        },
        "credentials": {"path": HOME},
    }
    template = raw.get("stepTemplate")
    resolved_spec: dict[str, Any] = substitute_tree(raw, scope, array_fields=ARRAY_FIELDS)
    template_sub = resolved_spec.get("stepTemplate") if template else None
    secrets = set(secret_values)
    steps: list[ResolvedStep] = []
    for i, s in enumerate(resolved_spec.get("steps", [])):
        merged = _merge_template(s, template_sub)
        env: dict[str, str] = {"HOME": HOME}
        for e in merged.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
            elif "valueFrom" in e:
                src = e["valueFrom"]
                kind, ref = (
                    ("Secret", src.get("secretKeyRef"))
                    if "secretKeyRef" in src
                    else ("ConfigMap", src.get("configMapKeyRef"))
                )
                if ref is None:
                    continue
                value = (key_values or {}).get((kind, ref.get("name", ""), ref["key"]))
                if value is None:
                    if not ref.get("optional"):
                        problems.append(
                            ParamProblem(
                                "CreateContainerConfigError",
                                f'{kind.lower()} "{ref.get("name")}" has no key "{ref["key"]}" (env {e["name"]})',
                            )
                        )
                    continue
                env[e["name"]] = value
                if kind == "Secret":
                    secrets.add(value)
            else:
                env[e["name"]] = ""
        command = tuple(merged.get("command", []))
        args = tuple(merged.get("args", []))
        script = merged.get("script")
        image = merged.get("image", "")
        timeout = merged.get("timeout")
        steps.append(
            ResolvedStep(
                name=container_name(steps_raw[i] if i < len(steps_raw) else s, i),
                image=image,
                command=command,
                args=args,
                script=script,
                env=tuple(env.items()),
                working_dir=merged.get("workingDir"),
                timeout=parse_duration(timeout) if timeout else None,
                on_error=merged.get("onError") or "stopAndFail",
            )
        )
    return ResolvedTaskRun(
        steps=tuple(steps),
        workspaces=tuple(uses),
        params=values,
        problems=tuple(problems),
        secrets=frozenset(s for s in secrets if s),
        spec=resolved_spec,
    )


def with_pod_volumes(spec: TaskSpec, *pod_templates: Mapping[str, Any] | None) -> TaskSpec:
    """``podTemplate.volumes`` join the Task's own volumes (the pod gets both; upstream taskruns/template-volume.yaml
    mounts a podTemplate emptyDir from its steps' volumeMounts). A Task volume of the same name wins."""
    names = {str(v.get("name")) for v in spec.volumes}
    extra: list[dict[str, Any]] = []
    for template in pod_templates:
        for v in (template or {}).get("volumes") or []:
            if isinstance(v, dict) and str(v.get("name")) not in names:
                names.add(str(v.get("name")))
                extra.append(v)
    return spec.model_copy(update={"volumes": [*spec.volumes, *extra]}) if extra else spec


def check_supported(spec: TaskSpec, where: str) -> None:
    """Valid Tekton that the local executor does not do: a clear error instead of a silent difference."""
    if spec.sidecars:
        raise UnsupportedError(f"{where}: sidecars are not supported by the local executor")
    for i, volume in enumerate(spec.volumes):
        kinds = [k for k in volume if k != "name"]
        if not any(k in ("emptyDir", "configMap", "secret") for k in kinds):
            raise UnsupportedError(
                f"{where}: volumes[{i}] ({volume.get('name')}): only emptyDir, configMap and secret volumes are "
                f"supported locally (got {', '.join(kinds) or 'no source'})"
            )
    for i, step in enumerate(spec.steps):
        for key, value in (
            ("when", step.when),
            ("ref", step.ref),
            ("stdoutConfig", step.stdout_config),
            ("stderrConfig", step.stderr_config),
        ):
            if value:
                raise UnsupportedError(f"{where}: steps[{i}].{key} is not supported by shipyard yet")


def propagate_workspaces(spec: TaskSpec, available: Iterable[str]) -> TaskSpec:
    """An embedded spec that uses ``$(workspaces.w...)`` of a workspace it does not declare gets it declared
    (Tekton propagates workspaces to embedded specs, examples/v1/taskruns/propagating_workspaces.yaml)."""
    names = set(available)
    if not names:
        return spec
    declared = {w.name for w in spec.workspaces}
    used: list[str] = []
    for expr in references(spec.model_dump(by_alias=True, exclude_none=True)):
        parts = split_ref(expr)
        if parts and len(parts) >= 2 and parts[0] == "workspaces":
            name = str(parts[1])
            if name in names and name not in declared and name not in used:
                used.append(name)
    if not used:
        return spec
    return spec.model_copy(update={"workspaces": [*spec.workspaces, *(WorkspaceDeclaration(name=n) for n in used)]})
