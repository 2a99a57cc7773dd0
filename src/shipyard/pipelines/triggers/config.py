"""An EventListener and everything it refers to, resolved from loaded documents into plain, ready-to-run data.

Every reference (TriggerBinding, ClusterTriggerBinding, TriggerTemplate, Trigger, interceptor) is checked when the
listener loads, and every problem is reported at once with file:line, so a typo fails ``triggers serve`` at start
instead of silently dropping events later. Secrets come from ``v1 Secret`` documents in the same files.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.errors import FieldIssue, SpecError, SpecErrors, UnsupportedError
from shipyard.pipelines.triggers.base import Interceptor, SecretStore
from shipyard.pipelines.triggers.bindings import BindingParam, TemplateParam
from shipyard.pipelines.triggers.registry import build
from shipyard.pipelines.triggers.templates import OLD_ESCAPE_ANNOTATION
from shipyard.resources.loader import Document, PathKey
from shipyard.resources.triggers import GROUP, EventListener, TriggerInterceptor, TriggerSpec, TriggerTemplateSpec
from shipyard.resources.triggers_validate import VALIDATORS
from shipyard.resources.validate import Issues, did_you_mean

PAYLOAD_VALIDATION_ANNOTATION = "tekton.dev/payload-validation"


@dataclass(frozen=True, slots=True)
class ResolvedInterceptor:
    name: str
    interceptor: Interceptor


@dataclass(frozen=True, slots=True)
class ResolvedTrigger:
    name: str
    interceptors: tuple[ResolvedInterceptor, ...]
    bindings: tuple[BindingParam, ...]
    template_params: tuple[TemplateParam, ...]
    resourcetemplates: tuple[dict[str, Any], ...]
    old_escape: bool = False


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    name: str
    namespace: str
    uid: str
    triggers: tuple[ResolvedTrigger, ...]
    payload_validation: bool = True


def _group(doc: Document) -> str:
    return (doc.api_version or "").rsplit("/", 1)[0]


def _secrets(docs: Sequence[Document], issues: list[FieldIssue]) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    for doc in docs:
        if doc.kind != "Secret" or doc.api_version != "v1" or not doc.name:
            continue
        values: dict[str, bytes] = {}
        data = doc.data.get("data") or {}
        for key, value in data.items() if isinstance(data, dict) else ():
            try:
                values[key] = base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                issues.append(FieldIssue("not valid base64", doc.file, doc.line_of(("data", key)), f"data.{key}"))
        string_data = doc.data.get("stringData") or {}
        for key, value in string_data.items() if isinstance(string_data, dict) else ():
            values[key] = str(value).encode()
        out[doc.name] = values
    return out


class _Resolver:
    def __init__(self, docs: Sequence[Document], secrets: SecretStore) -> None:
        self.secrets = secrets
        self.by_kind: dict[str, dict[str, Document]] = {}
        for doc in docs:
            if _group(doc) == GROUP and doc.kind and doc.name:
                self.by_kind.setdefault(doc.kind, {})[doc.name] = doc

    def lookup(self, kind: str, name: str, issues: Issues, path: PathKey) -> Document | None:
        found = self.by_kind.get(kind, {}).get(name)
        if found is None:
            hint = did_you_mean(name, self.by_kind.get(kind, {}))
            issues.add(path, f'{kind} "{name}" not found in the given files{hint}')
        return found

    def interceptor(self, ic: TriggerInterceptor, issues: Issues, path: PathKey) -> ResolvedInterceptor | None:
        if ic.webhook is not None:
            raise UnsupportedError(f"{issues.file}: {_fmt(path)}.webhook: webhook interceptors are not supported")
        if ic.ref is not None:
            name, params = ic.ref.name, {p.name: p.value for p in ic.params}
        else:
            legacy = {k: getattr(ic, k) for k in ("github", "gitlab", "bitbucket", "cel") if getattr(ic, k)}
            if not legacy:
                return None
            name, params = next(iter(legacy.items()))
        try:
            return ResolvedInterceptor(name, build(name, params, self.secrets))
        except SpecError as exc:
            issues.add((*path, "ref", "name") if ic.ref else path, exc.issue.message)
            return None

    def trigger(self, name: str, spec: TriggerSpec, issues: Issues, base: PathKey) -> ResolvedTrigger | None:
        count = len(issues)
        interceptors = [
            self.interceptor(ic, issues, (*base, "interceptors", i)) for i, ic in enumerate(spec.interceptors)
        ]
        bindings: list[BindingParam] = []
        for i, b in enumerate(spec.bindings):
            if b.ref:
                kind = b.kind or "TriggerBinding"
                doc = self.lookup(kind, b.ref, issues, (*base, "bindings", i, "ref"))
                if doc is not None:
                    params = (doc.data.get("spec") or {}).get("params") or []
                    bindings.extend(BindingParam(str(p["name"]), str(p["value"])) for p in params)
            elif b.name is not None and b.value is not None:
                bindings.append(BindingParam(b.name, b.value))
        tt_spec: TriggerTemplateSpec | None = None
        annotations: Mapping[str, str] = {}
        template = spec.template
        if template is not None and template.spec is not None:
            tt_spec = template.spec
        elif template is not None and (template.ref or template.name):
            doc = self.lookup("TriggerTemplate", str(template.ref or template.name), issues, (*base, "template", "ref"))
            if doc is not None:
                tt_spec = TriggerTemplateSpec.model_validate(doc.data.get("spec") or {})
                annotations = (doc.data.get("metadata") or {}).get("annotations") or {}
        if len(issues) != count or tt_spec is None:
            return None
        return ResolvedTrigger(
            name=name,
            interceptors=tuple(i for i in interceptors if i is not None),
            bindings=tuple(bindings),
            template_params=tuple(TemplateParam(p.name, p.default) for p in tt_spec.params),
            resourcetemplates=tuple(tt_spec.resourcetemplates),
            old_escape=OLD_ESCAPE_ANNOTATION in annotations,
        )


def _fmt(path: PathKey) -> str:
    return ".".join(str(p) for p in path)


def _unsupported(el: EventListener, doc: Document) -> None:
    for field, value in (
        ("triggerGroups", el.spec.trigger_groups),
        ("namespaceSelector", el.spec.namespace_selector),
        ("labelSelector", el.spec.label_selector),
        ("cloudEventURI", el.spec.cloud_event_uri),
    ):
        if value:
            line = doc.line_of(("spec", field))
            raise UnsupportedError(f"{doc.file}:{line} spec.{field}: not supported by the local EventListener")


def load_listener(
    docs: Sequence[Document], *, default_uid: str, name: str | None = None, secret_override: bytes | None = None
) -> ListenerConfig:
    """Resolve the EventListener (the only one, or the one called ``name``) in ``docs``."""
    problems: list[FieldIssue] = []
    for doc in docs:
        validator = VALIDATORS.get(doc.kind or "") if _group(doc) == GROUP else None
        if validator is not None:
            issues = Issues(doc)
            validator(doc, issues)
            problems.extend(issues.items)
    secrets = SecretStore(_secrets(docs, problems), override=secret_override)
    if problems:
        raise SpecErrors(problems)
    listeners = [d for d in docs if _group(d) == GROUP and d.kind == "EventListener"]
    if name is not None:
        listeners = [d for d in listeners if d.name == name]
    if len(listeners) != 1:
        names = ", ".join(sorted(str(d.name) for d in listeners)) or "none"
        what = f'EventListener "{name}"' if name else "exactly one EventListener"
        raise SpecError(f"expected {what} in the given files, found: {names}")
    doc = listeners[0]
    el = EventListener.model_validate(doc.data)
    _unsupported(el, doc)
    resolver = _Resolver(docs, secrets)
    issues = Issues(doc)
    triggers: list[ResolvedTrigger] = []
    for i, t in enumerate(el.spec.triggers):
        base: PathKey = ("spec", "triggers", i)
        spec: TriggerSpec = t
        tname = t.name or f"{doc.name}-{i}"
        if t.trigger_ref:
            ref_doc = resolver.lookup("Trigger", t.trigger_ref, issues, (*base, "triggerRef"))
            if ref_doc is None:
                continue
            spec = TriggerSpec.model_validate(ref_doc.data["spec"])
            tname = t.trigger_ref
        resolved = resolver.trigger(tname, spec, issues, base)
        if resolved is not None:
            triggers.append(resolved)
    issues.raise_if_any()
    meta = el.metadata
    annotations = meta.annotations
    return ListenerConfig(
        name=str(meta.name),
        namespace=meta.namespace or "default",
        uid=meta.uid or default_uid,
        triggers=tuple(triggers),
        payload_validation=annotations.get(PAYLOAD_VALIDATION_ANNOTATION, "true").lower() != "false",
    )
