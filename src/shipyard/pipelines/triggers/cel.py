"""The ``cel`` interceptor (tektoncd/triggers ``pkg/interceptors/cel/cel.go``) on cel-python.

``filter`` must evaluate to true, else FailedPrecondition ``expression <filter> did not return true``; each
overlay's value is written to ``extensions.<key>`` (a dotted key nests, as sjson does); the body is never
modified. Variables: ``body`` (decoded JSON, ``{}`` when empty), ``header`` (canonical keys, list values),
``requestURL`` and ``extensions``. Expressions are compiled when the listener loads, so a syntax error is reported
before any event arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

from shipyard.errors import SpecError
from shipyard.pipelines.triggers import cel_functions
from shipyard.pipelines.triggers.base import Code, InterceptorRequest, InterceptorResponse, SecretGetter

_PARAMS = ("filter", "overlays")


def _compile(env: celpy.Environment, expr: str, what: str) -> Any:
    try:
        return env.compile(expr)
    except CELParseError as exc:
        raise SpecError(f"failed to parse {what} expression {json.dumps(expr)}: {exc}") from exc


def set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    cur = target
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[p] = nxt
        cur = nxt
    cur[parts[-1]] = value


class CELInterceptor:
    def __init__(self, params: Mapping[str, Any], secrets: SecretGetter) -> None:
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise SpecError(f'unknown cel interceptor param "{unknown[0]}" (valid: {", ".join(_PARAMS)})')
        self._env = celpy.Environment()
        self._functions = cel_functions.functions(secrets)
        filt = params.get("filter")
        if filt is not None and not isinstance(filt, str):
            raise SpecError("cel filter must be a string")
        self.filter: str = filt or ""
        self._filter_ast = _compile(self._env, self.filter, "filter") if self.filter else None
        self._overlays: list[tuple[str, str, Any]] = []
        overlays = params.get("overlays") or []
        if not isinstance(overlays, list):
            raise SpecError("cel overlays must be a list of {key, expression}")
        for i, ov in enumerate(overlays):
            if (
                not isinstance(ov, Mapping)
                or not isinstance(ov.get("key"), str)
                or not isinstance(ov.get("expression"), str)
            ):
                raise SpecError(f"cel overlays[{i}] needs a string key and expression")
            self._overlays.append((ov["key"], ov["expression"], _compile(self._env, ov["expression"], "overlay")))

    def _eval(self, ast: Any, activation: dict[str, Any]) -> Any:
        program = self._env.program(ast, functions=self._functions)
        result = program.evaluate(activation)
        if isinstance(result, CELEvalError):
            raise result
        return result

    def process(self, request: InterceptorRequest) -> InterceptorResponse:
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError as exc:
            return InterceptorResponse.fail(
                Code.invalid_argument,
                f"error making the evaluation context: failed to parse the body as JSON: {exc}",
            )
        activation = {
            "body": json_to_cel(body),
            "header": json_to_cel({k: list(v) for k, v in request.header.items()}),
            "requestURL": celtypes.StringType(request.event_url),
            "extensions": json_to_cel(dict(request.extensions)),
            "base64": cel_functions.BASE64_NAMESPACE,
        }
        if self._filter_ast is not None:
            try:
                out = self._eval(self._filter_ast, activation)
            except (CELEvalError, cel_functions.CELFunctionError, TypeError, ValueError) as exc:
                return InterceptorResponse.fail(
                    Code.invalid_argument,
                    f"error evaluating cel expression: expression {json.dumps(self.filter)} failed to evaluate: "
                    f"{_message(exc)}",
                )
            if not (isinstance(out, celtypes.BoolType) and bool(out)):
                return InterceptorResponse.fail(
                    Code.failed_precondition, f"expression {self.filter} did not return true"
                )
        extensions: dict[str, Any] = {}
        for key, expr, ast in self._overlays:
            try:
                val = self._eval(ast, activation)
            except (CELEvalError, cel_functions.CELFunctionError, TypeError, ValueError) as exc:
                return InterceptorResponse.fail(
                    Code.invalid_argument,
                    f"error evaluating cel expression: expression {json.dumps(expr)} failed to evaluate: "
                    f"{_message(exc)}",
                )
            set_dotted(extensions, key, cel_functions.to_python(val))
        return InterceptorResponse.ok(extensions)


def _message(exc: BaseException) -> str:
    if isinstance(exc, CELEvalError) and exc.args:
        return str(exc.args[0])
    return str(exc)
