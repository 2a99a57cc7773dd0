"""Validation that collects every problem with its path and line (Tekton's ``errs.Also(...).ViaField``).

``Issues`` is the collector; ``validate_model`` runs a pydantic model over a document's data and turns each
pydantic error into a ``FieldIssue`` at the right line, with "did you mean" for misspelt field names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shipyard.errors import FieldIssue, SpecErrors
from shipyard.resources.loader import Document, PathKey, format_path

M = TypeVar("M", bound=BaseModel)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean "build"?)`` when a candidate is close, else ``""``."""
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


class Issues:
    """Collects FieldIssues against one document; ``raise_if_any`` raises them all together."""

    def __init__(self, doc: Document | None = None, *, file: str | None = None) -> None:
        self.doc = doc
        self.file = file if file is not None else (doc.file if doc else None)
        self.items: list[FieldIssue] = []

    def add(self, path: PathKey, message: str) -> None:
        line = self.doc.line_of(path) if self.doc else None
        self.items.append(FieldIssue(message=message, file=self.file, line=line, path=format_path(path)))

    def extend(self, issues: Iterable[FieldIssue]) -> None:
        self.items.extend(issues)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecErrors(sorted(self.items, key=_order))


def _order(issue: FieldIssue) -> tuple[str, int, str]:
    return (issue.file or "", issue.line or 0, issue.path)


def _field_names(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The accepted (alias) names at ``loc``'s parent, for did-you-mean suggestions."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return []
        nxt = None
        for name, info in fields.items():
            if part in (name, info.alias):
                nxt = _model_of(info.annotation)
                break
        current = nxt
    fields = getattr(current, "model_fields", None) or {}
    return [info.alias or name for name, info in fields.items()]


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def validate_model(model: type[M], doc: Document, *, base: PathKey = (), issues: Issues | None = None) -> M | None:
    """Validate ``doc.data`` at ``base`` against ``model``. Errors go to ``issues`` (or raise if none given)."""
    own = issues if issues is not None else Issues(doc)
    data: Any = doc.data
    for part in base:
        data = data[part]
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            # pydantic adds the union member or validator name into loc for tagged unions; drop non-data parts.
            path = (*base, *loc)
            if err["type"] == "extra_forbidden":
                name = str(loc[-1]) if loc else ""
                hint = did_you_mean(name, _field_names(model, loc))
                own.add(path, f'unknown field "{name}"{hint}')
            elif err["type"] == "missing":
                own.add(path, "required field is missing")
            else:
                own.add(path, err["msg"])
        result = None
    if issues is None:
        own.raise_if_any()
    return result
