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
                ParamProblem("ParameterMissing", f'parameter "{spec.name}" is required but was not provided')
            )
            continue
        if kind == "object" and isinstance(value, dict) and isinstance(spec.default, dict):
            value = {**spec.default, **value}
        if type_of(value) != kind:
            problems.append(
                ParamProblem(
                    "ParameterTypeMismatch",
                    f'parameter "{spec.name}" is declared {kind} but was given {type_of(value)}',
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
