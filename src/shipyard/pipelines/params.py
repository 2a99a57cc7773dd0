"""Param values: supplied values, defaults (resolved iteratively, may use context), types, object key merge.

Tekton: ``pkg/reconciler/taskrun/resources/apply.go`` (defaults referencing params/context, resolved until stable),
``ValidateParamTypesMatching``/``ValidateRequiredParametersProvided`` (missing → ``ParameterMissing`` /
``TaskRunValidationFailed``; type mismatch → ``ParameterTypeMismatch``), object params: a supplied value may set
only some keys, the default fills the rest (examples/v1/taskruns/object-param-result.yaml). Extra supplied params
are ignored (pipelinerun-with-extra-params.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.pipelines.substitution import Value, substitute_value
from shipyard.resources.tekton import ParamSpec


@dataclass(frozen=True, slots=True)
class ParamProblem:
    reason: str  # ParameterMissing | ParameterTypeMismatch | ObjectParameterMissKeys | InvalidParamValue
    message: str
    param: str = ""
    keys: tuple[str, ...] = ()  # ObjectParameterMissKeys: the missing keys


def _go_list(items: Sequence[str]) -> str:
    return "[" + " ".join(items) + "]"  # Go's %s of a []string


def validate_params_error(problems: Sequence[ParamProblem]) -> str | None:
    """The text of ``validateParams`` (pkg/reconciler/taskrun/validate_taskrun.go) for these problems: missing
    values first, then wrong types, then missing object keys; None when there is no param problem."""
    missing = [p.param for p in problems if p.reason == "ParameterMissing"]
    if missing:
        return f"missing values for these params which have no default values: {_go_list(missing)}"
    wrong = [p.param for p in problems if p.reason == "ParameterTypeMismatch"]
    if wrong:
        return f"param types don't match the user-specified type: {_go_list(wrong)}"
    keys = {p.param: list(p.keys) for p in problems if p.reason == "ObjectParameterMissKeys"}
    if keys:
        body = " ".join(f"{k}:{_go_list(v)}" for k, v in sorted(keys.items()))
        return f"missing keys for these params which are required in ParamSpec's properties map[{body}]"
    return None


def pipelinerun_param_failure(
    problems: Sequence[ParamProblem], *, run: str, namespace: str, pipeline: str
) -> tuple[str, str] | None:
    """Reason and message of a PipelineRun whose own params are wrong (pipelinerun.go reconcile:
    ``ValidateRequiredParametersProvided``, ``ValidateParamTypesMatching``, ``ValidateObjectParamRequiredKeys``)."""
    pr, pl = f"{namespace}/{run}", f"{namespace}/{pipeline}"
    missing = [p.param for p in problems if p.reason == "ParameterMissing"]
    if missing:
        return (
            "ParameterMissing",
            f"PipelineRun {pr} is missing some parameters required by Pipeline {pl}: "
            f"PipelineRun missing parameters: {_go_list(missing)}",
        )
    wrong = [p.param for p in problems if p.reason == "ParameterTypeMismatch"]
    if wrong:
        return (
            "ParameterTypeMismatch",
            f"PipelineRun {pr} parameters have mismatching types with Pipeline {pl}'s parameters: "
            f"parameters have inconsistent types : {_go_list(wrong)}",
        )
    keys = [p for p in problems if p.reason == "ObjectParameterMissKeys"]
    if keys:
        return (
            "ObjectParameterMissKeys",
            f"PipelineRun {pr} parameters is missing object keys required by Pipeline {pl}'s parameters: "
            + "; ".join(p.message for p in keys),
        )
    if problems:
        return problems[0].reason, f"[User error] {problems[0].message}"
    return None


def type_of(value: Value) -> str:
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "string"


def resolve_params(
    specs: Sequence[ParamSpec],
    supplied: Mapping[str, Value],
    *,
    context: Mapping[str, Any] | None = None,
    propagated: Mapping[str, Value] | None = None,
) -> tuple[dict[str, Value], list[ParamProblem]]:
    """The value of every declared param, plus ``propagated`` names the spec does not declare.

    Precedence: ``supplied`` > ``propagated`` > ``default`` (Tekton's ``propagateParams`` substitutes pipeline
    params into an embedded spec before the task's own defaults apply).
    """
    problems: list[ParamProblem] = []
    values: dict[str, Value] = {}
    pending: dict[str, Value] = {}
    for spec in specs:
        kind = spec.kind
        if spec.name in supplied:
            value = supplied[spec.name]
        elif propagated and spec.name in propagated:
            value = propagated[spec.name]
        elif spec.default is not None:
            pending[spec.name] = spec.default
            continue
        else:
            problems.append(
                ParamProblem("ParameterMissing", f'parameter "{spec.name}" is required but was not provided', spec.name)
            )
            continue
        if kind == "object" and isinstance(value, dict) and isinstance(spec.default, dict):
            value = {**spec.default, **value}
        if type_of(value) != kind:
            problems.append(
                ParamProblem(
                    "ParameterTypeMismatch",
                    f'parameter "{spec.name}" is declared {kind} but was given {type_of(value)}',
                    spec.name,
                )
            )
            continue
        values[spec.name] = value
    for name, value in (propagated or {}).items():
        if name not in values and name not in pending and not any(s.name == name for s in specs):
            values[name] = value
    # Defaults may reference other params and context variables; resolve until nothing changes.
    for _ in range(len(pending) + 1):
        if not pending:
            break
        scope = _scope(values, pending, context)
        changed = False
        for name, default in list(pending.items()):
            new = substitute_value(default, scope)
            if new != default:
                pending[name] = new
                changed = True
        if not changed:
            break
    values.update(pending)
    for spec in specs:
        if spec.kind == "object" and spec.properties and isinstance(values.get(spec.name), dict):
            obj = values[spec.name]
            assert isinstance(obj, dict)
            missing = [k for k in spec.properties if k not in obj]
            if missing:
                problems.append(
                    ParamProblem(
                        "ObjectParameterMissKeys",
                        f'object parameter "{spec.name}" is missing keys: {", ".join(sorted(missing))}',
                        spec.name,
                        tuple(missing),
                    )
                )
        if spec.enum and isinstance(values.get(spec.name), str) and values[spec.name] not in spec.enum:
            problems.append(
                ParamProblem("InvalidParamValue", f'parameter "{spec.name}" value is not in the enum {spec.enum}')
            )
    return values, problems


def _scope(
    values: Mapping[str, Value], pending: Mapping[str, Value], context: Mapping[str, Any] | None
) -> dict[str, Any]:
    params = {**pending, **values}
    scope: dict[str, Any] = dict(context or {})
    scope["params"] = params
    return scope


def params_dict(params: Sequence[Any]) -> dict[str, Value]:
    """``[{name, value}]`` models → ``{name: value}``; the last one wins, as a Kubernetes list-map would."""
    return {p.name: p.value for p in params}
