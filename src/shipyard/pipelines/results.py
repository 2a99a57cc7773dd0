"""Task results: read verbatim, typed, within the termination-message budget.

Tekton: a result file's content is the value, **not trimmed** (docs/tasks.md "Emitting results"); array and object
results are JSON (object keys must be declared ``properties``); results travel in the container termination
message, 4096 bytes per pod (``TaskRunResultLargerThanAllowedLimit``, "Termination message is above max allowed
size 4096, caused by large task result.").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shipyard.pipelines.substitution import Value
from shipyard.resources.tekton import ResultSpec

MAX_TERMINATION_MESSAGE = 4096


@dataclass(frozen=True, slots=True)
class ResultProblem:
    reason: str
    message: str


def parse_results(
    declared: Sequence[ResultSpec], files: Mapping[str, bytes]
) -> tuple[dict[str, Value], list[dict[str, object]], ResultProblem | None]:
    """(name → value, Tekton ``status.results`` entries, a problem that fails the TaskRun or None)."""
    kinds = {r.name: r for r in declared}
    # The termination message is a JSON list of {"key","value","type"}; its size is what Kubernetes limits.
    message = [{"key": k, "value": v.decode("utf-8", "replace"), "type": 1} for k, v in sorted(files.items())]
    size = len(json.dumps(message, separators=(",", ":")).encode())
    if size > MAX_TERMINATION_MESSAGE:
        return (
            {},
            [],
            ResultProblem(
                "TaskRunResultLargerThanAllowedLimit",
                f"Termination message is above max allowed size {MAX_TERMINATION_MESSAGE}, caused by large task "
                f"result ({size} bytes).",
            ),
        )
    values: dict[str, Value] = {}
    entries: list[dict[str, object]] = []
    for name, raw in files.items():
        spec = kinds.get(name)
        if spec is None:
            continue  # undeclared files under /tekton/results are not results
        text = raw.decode("utf-8", "replace")
        value: Value = text
        if spec.type in ("array", "object"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                return {}, [], ResultProblem("InvalidTaskResultReference", f'result "{name}" is not JSON: {exc.msg}')
            if spec.type == "array":
                if not isinstance(parsed, list) or not all(isinstance(x, str) for x in parsed):
                    return (
                        {},
                        [],
                        ResultProblem(
                            "InvalidTaskResultReference", f'array result "{name}" must be a JSON list of strings'
                        ),
                    )
                value = parsed
            else:
                if not isinstance(parsed, dict) or not all(isinstance(x, str) for x in parsed.values()):
                    return (
                        {},
                        [],
                        ResultProblem(
                            "InvalidTaskResultReference", f'object result "{name}" must be a JSON object of strings'
                        ),
                    )
                extra = sorted(set(parsed) - set(spec.properties or {}))
                if spec.properties is not None and extra:
                    return (
                        {},
                        [],
                        ResultProblem(
                            "InvalidTaskResultReference",
                            f'object result "{name}" has undeclared keys: {", ".join(extra)}',
                        ),
                    )
                value = parsed
        values[name] = value
        entries.append({"name": name, "type": spec.type, "value": value})
    order = {r.name: i for i, r in enumerate(declared)}
    entries.sort(key=lambda e: order.get(str(e["name"]), 0))
    return values, entries, None
