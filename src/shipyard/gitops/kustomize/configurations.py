"""``configurations:`` — transformer configuration files that teach kustomize's builtin transformers new field
specs, e.g. the file Argo Rollouts documents so that a ``Rollout`` gets the name-reference fix-ups, labels,
annotations and replicas a ``Deployment`` gets (``docs/features/kustomize`` in argoproj/argo-rollouts).

A configuration is loaded where it is listed and merged upward: the kustomization that lists it and every
overlay built on top of it use its specs (kustomize's ``ResAccumulator.MergeConfig``). Supported sections:
``nameReference``, ``commonLabels``, ``templateLabels``, ``commonAnnotations``, ``replicas``, ``images``;
``varReference`` is accepted and has no effect because ``vars`` are refused. Anything else is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.errors import SpecError, UnsupportedError
from shipyard.resources.loader import load_file

# (referrer kind, path parts, create)
Spec = tuple[str, tuple[str, ...], bool]
_SECTIONS = {"commonLabels", "templateLabels", "commonAnnotations", "replicas", "images"}
_UNSUPPORTED = {"namePrefix", "nameSuffix", "namespace"}


@dataclass(slots=True)
class Config:
    name_refs: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    specs: dict[str, list[Spec]] = field(default_factory=dict)

    def of(self, section: str) -> list[Spec]:
        return self.specs.get(section, [])

    def merge(self, other: Config) -> None:
        for target, refs in other.name_refs.items():
            mine = self.name_refs.setdefault(target, [])
            mine.extend(r for r in refs if r not in mine)
        for section, specs in other.specs.items():
            mine_specs = self.specs.setdefault(section, [])
            mine_specs.extend(s for s in specs if s not in mine_specs)


def _parts(path: Any, where: str) -> tuple[str, ...]:
    if not isinstance(path, str) or not path:
        raise SpecError(f"{where}: a field spec needs a path")
    # "a/b[]/c": the [] only says b is a list, which the walk handles anyway; "\/" is a slash inside a key.
    raw = path.replace("\\/", "\0").split("/")
    return tuple(p.replace("\0", "/").removesuffix("[]") for p in raw if p)


def field_spec(entry: Any, where: str) -> Spec:
    if not isinstance(entry, dict) or set(entry) - {"path", "kind", "group", "version", "create"}:
        raise SpecError(f"{where}: a field spec takes path, kind, group, version and create")
    return str(entry.get("kind") or ""), _parts(entry.get("path"), where), bool(entry.get("create", False))


def load_configuration(path: Path) -> Config:
    from shipyard.gitops.kustomize.output import precheck

    precheck(path.read_text(encoding="utf-8", errors="replace"), str(path))
    docs = load_file(path)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise SpecError("a transformer configuration must be one YAML mapping", file=str(path))
    cfg = Config()
    for section, entries in docs[0].data.items():
        where = f"{path}:{docs[0].line_of((section,))} {section}"
        if section in _UNSUPPORTED or section not in (_SECTIONS | {"nameReference", "varReference"}):
            raise UnsupportedError(f"{where}: shipyard's kustomize does not support {section!r} in configurations")
        if not isinstance(entries, list):
            raise SpecError(f"{where}: must be a list")
        if section == "varReference":
            continue
        if section == "nameReference":
            for ref in entries:
                if not isinstance(ref, dict) or not ref.get("kind") or not isinstance(ref.get("fieldSpecs"), list):
                    raise SpecError(f"{where}: each entry needs kind and fieldSpecs")
                cfg.name_refs.setdefault(str(ref["kind"]), []).extend(
                    (s[0], s[1]) for s in (field_spec(e, where) for e in ref["fieldSpecs"])
                )
            continue
        cfg.specs[section] = [field_spec(e, where) for e in entries]
    return cfg


def targets(node: Any, parts: tuple[str, ...], create: bool) -> list[dict[str, Any]]:
    """The mappings holding the last field of ``parts`` (walking through lists); missing maps on the way are
    created only when ``create``."""
    if isinstance(node, list):
        return [m for item in node for m in targets(item, parts, create)]
    if not isinstance(node, dict):
        return []
    if len(parts) == 1:
        return [node]
    nxt = node.get(parts[0])
    if nxt is None:
        if not create:
            return []
        nxt = node[parts[0]] = {}
    return targets(nxt, parts[1:], create)


def set_map(obj: dict[str, Any], spec: Spec, pairs: dict[str, str]) -> None:
    """Merge ``pairs`` into the map at the spec's path (labels, annotations)."""
    _, parts, create = spec
    for holder in targets(obj, parts, create):
        current = holder.get(parts[-1])
        if current is None and create:
            current = holder[parts[-1]] = {}
        if isinstance(current, dict):
            current.update(pairs)
