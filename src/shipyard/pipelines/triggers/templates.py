"""TriggerTemplate instantiation (tektoncd/triggers ``pkg/template/resource.go``, ``pkg/resources/create.go``).

Each resource template is turned into its JSON text, ``$(tt.params.x)`` is replaced textually with no escaping
(the ``triggers.tekton.dev/old-escape-quotes`` annotation restores the old ``"`` → ``\\"``), ``$(uid)`` with one
value shared by the whole instantiation, and the text is decoded again. Created resources get the
``triggers.tekton.dev/eventlistener``, ``/trigger`` and ``/triggers-eventid`` labels, the listener's namespace
when they name none, and a name from ``generateName`` as the API server would give it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

OLD_ESCAPE_ANNOTATION = "triggers.tekton.dev/old-escape-quotes"
LABEL_EVENTLISTENER = "triggers.tekton.dev/eventlistener"
LABEL_TRIGGER = "triggers.tekton.dev/trigger"
LABEL_EVENT_ID = "triggers.tekton.dev/triggers-eventid"


class TemplateError(ValueError):
    """A template instantiated into something that is not a valid resource."""


def render(
    resource_templates: Sequence[Mapping[str, Any]],
    params: Mapping[str, str],
    *,
    uid: str,
    old_escape: bool = False,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, rt in enumerate(resource_templates):
        text = json.dumps(rt, ensure_ascii=False)
        for name, value in params.items():
            text = text.replace(f"$(tt.params.{name})", value.replace('"', '\\"') if old_escape else value)
        text = text.replace("$(uid)", uid)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TemplateError(
                f"couldn't unmarshal json from the TriggerTemplate (resourcetemplates[{i}]): {exc}"
            ) from exc
        if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
            raise TemplateError(f"resourcetemplates[{i}] needs apiVersion and kind")
        out.append(data)
    return out


def finalize(
    resource: dict[str, Any],
    *,
    listener: str,
    namespace: str,
    trigger: str,
    event_id: str,
    name_suffix: Callable[[], str],
) -> dict[str, Any]:
    """Labels, namespace and name as the resource would have after ``create`` on a cluster."""
    res: dict[str, Any] = json.loads(json.dumps(resource))
    meta = res.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        res["metadata"] = meta
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        labels = {}
    labels.update({LABEL_EVENTLISTENER: listener, LABEL_TRIGGER: trigger, LABEL_EVENT_ID: event_id})
    meta["labels"] = labels
    if not meta.get("namespace"):
        meta["namespace"] = namespace
    if not meta.get("name"):
        prefix = meta.get("generateName")
        if not isinstance(prefix, str) or not prefix:
            raise TemplateError(f"{res.get('kind')} has neither metadata.name nor metadata.generateName")
        meta["name"] = prefix + name_suffix()
    return res
