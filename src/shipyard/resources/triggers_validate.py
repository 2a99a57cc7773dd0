"""``shipyard lint`` for Tekton Triggers kinds: the schema (``resources.triggers``) plus the semantic checks of
tektoncd/triggers ``pkg/apis/triggers/v1beta1/*_validation.go``, every problem collected at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from shipyard.resources.loader import Document, PathKey
from shipyard.resources.triggers import (
    EventListener,
    Param,
    Trigger,
    TriggerBinding,
    TriggerSpec,
    TriggerTemplate,
    TriggerTemplateSpec,
)
from shipyard.resources.validate import Issues, validate_model

# triggertemplate_validation.go: `$(tt.params.x)` must name a declared param.
_TT_PARAM = re.compile(r"\$\(tt\.params\.([A-Za-z0-9_.\-]+)\)")


def _duplicates(names: Sequence[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    for i, n in enumerate(names):
        if n in seen:
            out.append((i, n))
        seen.add(n)
    return out


def check_binding_params(params: Sequence[Param], base: PathKey, issues: Issues) -> None:
    for i, name in _duplicates([p.name for p in params]):
        issues.add((*base, i, "name"), f'duplicate param name "{name}"')


def check_template_spec(spec: TriggerTemplateSpec, base: PathKey, issues: Issues) -> None:
    declared = {p.name for p in spec.params}
    for i, name in _duplicates([p.name for p in spec.params]):
        issues.add((*base, "params", i, "name"), f'duplicate param name "{name}"')
    for i, rt in enumerate(spec.resourcetemplates):
        where = (*base, "resourcetemplates", i)
        for key in ("apiVersion", "kind"):
            if not isinstance(rt.get(key), str) or not rt.get(key):
                issues.add((*where, key), "required field is missing")
        for name in sorted(set(_TT_PARAM.findall(_text(rt)))):
            if name not in declared:
                issues.add(where, f'undeclared param "$(tt.params.{name})"')


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_trigger_spec(spec: TriggerSpec, base: PathKey, issues: Issues, *, has_ref: bool = False) -> None:
    if spec.template is None:
        if not has_ref:
            issues.add((*base, "template"), "required field is missing")
    else:
        t = spec.template
        refs = [x for x in (t.ref, t.name) if x]
        if bool(refs) == (t.spec is not None):
            issues.add((*base, "template"), "expected exactly one of ref or spec")
        if t.spec is not None:
            check_template_spec(t.spec, (*base, "template", "spec"), issues)
    for i, b in enumerate(spec.bindings):
        where = (*base, "bindings", i)
        inline = b.name is not None or b.value is not None
        if b.ref and inline:
            issues.add(where, "expected exactly one of ref or name/value")
        elif not b.ref and (b.name is None or b.value is None):
            issues.add(where, "a binding needs ref, or both name and value")
    for i, ic in enumerate(spec.interceptors):
        where = (*base, "interceptors", i)
        forms = [f for f in ("ref", "webhook", "github", "gitlab", "bitbucket", "cel") if getattr(ic, f) is not None]
        if len(forms) != 1:
            issues.add(where, f"expected exactly one of ref or webhook, got {', '.join(forms) or 'neither'}")
        elif ic.ref is not None and not ic.ref.name:
            issues.add((*where, "ref", "name"), "required field is missing")


def validate_event_listener(doc: Document, issues: Issues) -> None:
    el = validate_model(EventListener, doc, issues=issues)
    if el is None:
        return
    names = [t.name or "" for t in el.spec.triggers]
    for i, name in _duplicates([n for n in names if n]):
        issues.add(("spec", "triggers", i, "name"), f'duplicate trigger name "{name}"')
    for i, t in enumerate(el.spec.triggers):
        base: PathKey = ("spec", "triggers", i)
        if t.trigger_ref and (t.template is not None or t.bindings or t.interceptors):
            issues.add((*base, "triggerRef"), "triggerRef cannot be combined with template, bindings or interceptors")
        check_trigger_spec(t, base, issues, has_ref=bool(t.trigger_ref))


def validate_trigger_binding(doc: Document, issues: Issues) -> None:
    tb = validate_model(TriggerBinding, doc, issues=issues)
    if tb is not None:
        check_binding_params(tb.spec.params, ("spec", "params"), issues)


def validate_trigger_template(doc: Document, issues: Issues) -> None:
    tt = validate_model(TriggerTemplate, doc, issues=issues)
    if tt is not None:
        check_template_spec(tt.spec, ("spec",), issues)


def validate_trigger(doc: Document, issues: Issues) -> None:
    tr = validate_model(Trigger, doc, issues=issues)
    if tr is not None:
        check_trigger_spec(tr.spec, ("spec",), issues)


VALIDATORS = {
    "EventListener": validate_event_listener,
    "TriggerBinding": validate_trigger_binding,
    "ClusterTriggerBinding": validate_trigger_binding,
    "TriggerTemplate": validate_trigger_template,
    "Trigger": validate_trigger,
}
