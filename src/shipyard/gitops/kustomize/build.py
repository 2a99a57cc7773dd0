"""``kustomize build``: load a kustomization, accumulate its resources, bases and components, run generators
and transformers in kustomize's order, add hash suffixes, fix name references, sort.

Order inside one kustomization (``api/internal/target/kusttarget_configplugin.go``): resources → components →
configMapGenerator/secretGenerator → patchesStrategicMerge → patches → namespace → namePrefix/nameSuffix →
commonLabels/labels → commonAnnotations → patchesJson6902 → replicas → images. Bases are fully built first, so
an overlay's transformers see the base's output. Hash suffixes are added once, at the top.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from shipyard.errors import SpecError, UnsupportedError
from shipyard.gitops.kustomize import transformers as tx
from shipyard.gitops.kustomize.configurations import field_spec, load_configuration
from shipyard.gitops.kustomize.generators import make_generated, merge_options
from shipyard.gitops.kustomize.images import Image, transform_images
from shipyard.gitops.kustomize.kustomization import (
    legacy_null_labels,
    load_kustomization,
    sort_options,
)
from shipyard.gitops.kustomize.namerefs import fix_name_references
from shipyard.gitops.kustomize.output import ensure_bounded, load_manifests, precheck
from shipyard.gitops.kustomize.patch import Deleted, apply_json6902, strategic_merge
from shipyard.gitops.kustomize.resource import ResMap, Resource, legacy_sort_key
from shipyard.gitops.kustomize.selector import parse_patch_body, select
from shipyard.resources.loader import Document, loads


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class Builder:
    """``boundary`` (a repository checkout, say) is a directory nothing may be read from outside of — not even a
    base; without it, bases may live anywhere as in kustomize. Files (resources, patches, generator inputs) must
    always be in or below their kustomization's directory, symlinks resolved: kustomize's LoadRestrictionsRootOnly.
    """

    def __init__(self, boundary: Path | None = None) -> None:
        self._stack: list[Path] = []
        self.sort_options: dict[str, Any] | None = None
        self.boundary = boundary.resolve() if boundary is not None else None

    def _file(self, root: Path, rel: str, file: str, line: int | None) -> Path | None:
        """The resolved file ``rel`` names, None when it is not a file; an error when it escapes the root."""
        path = (root / rel).resolve()
        if path.is_dir():
            return None
        if not _inside(path, root.resolve()):
            raise SpecError(f"security; file {rel!r} is not in or below {str(root)!r}", file=file, line=line)
        return path if path.is_file() else None

    def _dir(self, path: Path, file: str, line: int | None) -> None:
        if self.boundary is not None and not _inside(path.resolve(), self.boundary):
            raise SpecError(f"security; {str(path)!r} is outside the repository {str(self.boundary)!r}", file=file,
                            line=line)  # fmt: skip

    def build(self, directory: str | Path) -> list[dict[str, Any]]:
        root = Path(directory)
        rm = self.accumulate(root, None)
        tx.add_hash_suffixes(rm)
        fix_name_references(rm, rm.config.name_refs)
        opts = self.sort_options or {}
        if opts.get("order") == "fifo":
            items = rm.items
        else:
            legacy = opts.get("legacySortOptions") or {}
            items = sorted(rm.items, key=legacy_sort_key(legacy.get("orderFirst"), legacy.get("orderLast")))
        return [r.obj for r in items]

    def accumulate(self, root: Path, into: ResMap | None) -> ResMap:
        resolved = root.resolve()
        if resolved in self._stack:
            raise SpecError(f"cycle detected: {root} includes itself", file=str(root))
        self._stack.append(resolved)
        try:
            return self._accumulate(root, into)
        finally:
            self._stack.pop()

    def _accumulate(self, root: Path, into: ResMap | None) -> ResMap:
        doc, k = load_kustomization(root)
        kfile = doc.file
        kind = k.get("kind", "Kustomization")
        if into is None and kind == "Component":
            raise SpecError("a Component can only be used from components:, not built or used as a base", file=kfile)
        if into is not None and kind != "Component":
            raise SpecError(f"{root} is listed in components: but its kind is {kind!r}, not 'Component'", file=kfile)
        if self.sort_options is None:
            # Only the kustomization being built orders the output; its bases' sortOptions are ignored.
            self.sort_options = sort_options(doc, k.get("sortOptions"))
        rm = into if into is not None else ResMap()
        # Files' resources are added in one batch per run of files, so the duplicate-id check stays linear.
        pending: list[Resource] = []
        for i, entry in enumerate([*(k.get("resources") or []), *(k.get("bases") or [])]):
            self._add_resource(root, str(entry), rm, doc, i, pending)
        rm.add_all(pending)
        for i, entry in enumerate(k.get("configurations") or []):
            line = doc.line_of(("configurations", i))
            if "://" in str(entry):
                raise UnsupportedError(f"{kfile}:{line} remote configuration {entry!r} is not supported; vendor it")
            path = self._file(root, str(entry), kfile, line)
            if path is None:
                raise SpecError(f"configuration file {entry!r} not found", file=kfile, line=line)
            rm.config.merge(load_configuration(path))
        for i, entry in enumerate(k.get("components") or []):
            path = root / str(entry)
            if not path.is_dir():
                raise SpecError(f"component {entry!r} not found", file=kfile, line=doc.line_of(("components", i)))
            self._dir(path, kfile, doc.line_of(("components", i)))
            self.accumulate(path, rm)
        self._generate(root, k, rm, doc)
        self._transform(root, k, rm, doc)
        return rm

    def _add_resource(self, root: Path, entry: str, rm: ResMap, doc: Document, i: int, pending: list[Resource]) -> None:
        if "://" in entry or entry.startswith(("git@", "github.com/")):
            raise UnsupportedError(f"{doc.file}: remote resource {entry!r} is not supported; vendor it into the repo")
        line = doc.line_of(("resources", i))
        if (root / entry).is_dir():
            self._dir(root / entry, doc.file, line)
            rm.add_all(pending)
            pending.clear()
            rm.extend(self.accumulate(root / entry, None))
        elif (path := self._file(root, entry, doc.file, line)) is not None:
            for data, line in load_manifests(path):
                if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") and "items" in data:
                    items = data["items"] or []
                    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                        raise SpecError(f"{data['kind']}.items must be a list of mappings", file=str(path), line=line)
                    pending.extend(Resource(item, origin=str(path)) for item in items)
                    continue
                if not isinstance(data, dict):
                    raise SpecError("a resource must be a YAML mapping", file=str(path), line=line)
                pending.append(Resource(data, origin=str(path)))
        else:
            raise SpecError(
                f"accumulating resources: {entry!r} is neither a file nor a directory", file=doc.file, line=line
            )

    def _generate(self, root: Path, k: dict[str, Any], rm: ResMap, doc: Document) -> None:
        gopts = k.get("generatorOptions")
        for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for i, spec in enumerate(k.get(field) or []):
                where = f"{doc.file}:{doc.line_of((field, i))} {field}[{i}]"
                opts = merge_options(gopts, spec.get("options"))
                obj = make_generated(kind, root, spec, opts, where)
                behavior = spec.get("behavior", "create")
                if behavior == "create":
                    if namespace := spec.get("namespace"):
                        obj["metadata"]["namespace"] = namespace
                    rm.add(Resource(obj, needs_hash=not opts["disableNameSuffixHash"], origin=doc.file))
                    continue
                if behavior not in ("merge", "replace"):
                    raise SpecError(f"{where}: behavior must be create, merge or replace, not {behavior!r}")
                found = rm.find(kind, obj["metadata"]["name"], spec.get("namespace"), any_id=True)
                if len(found) != 1:
                    raise SpecError(
                        f"{where}: behavior {behavior} but no single existing {kind} {obj['metadata']['name']!r}"
                    )
                base = found[0]
                for key in ("data", "binaryData"):
                    if behavior == "replace":
                        base.obj.pop(key, None)
                    if obj.get(key):
                        base.obj[key] = {**(base.obj.get(key) or {}), **obj[key]}
                for key in ("labels", "annotations"):
                    if obj["metadata"].get(key):
                        base.meta[key] = {**(base.meta.get(key) or {}), **obj["metadata"][key]}
                # An overlay can switch the base's hash off, never back on; the overlay's Secret type wins.
                base.needs_hash = base.needs_hash and not opts["disableNameSuffixHash"]
                if kind == "Secret":
                    base.obj["type"] = obj["type"]

    def _transform(self, root: Path, k: dict[str, Any], rm: ResMap, doc: Document) -> None:
        for i, entry in enumerate(k.get("patchesStrategicMerge") or []):
            text, label = self._patch_text(root, entry, doc, ("patchesStrategicMerge", i))
            for pd in loads(precheck(text, label), file=label):
                self._smp(rm, legacy_null_labels(ensure_bounded(pd.data, label)), None, label)
        for i, p in enumerate(k.get("patches") or []):
            self._patch(root, rm, p, doc, ("patches", i))
        if k.get("namespace"):
            tx.set_namespace(rm, str(k["namespace"]))
        if k.get("namePrefix") or k.get("nameSuffix"):
            tx.add_prefix_suffix(rm, str(k.get("namePrefix") or ""), str(k.get("nameSuffix") or ""))
        if k.get("commonLabels"):
            tx.add_labels(rm, k["commonLabels"], selectors=True, templates=True)
        for i, lab in enumerate(k.get("labels") or []):
            where = f"{doc.file}:{doc.line_of(('labels', i))} labels[{i}].fields"
            if not isinstance(lab.get("fields") or [], list):
                raise SpecError(f"{where} must be a list of field specs")
            tx.add_labels(
                rm, lab.get("pairs") or {}, selectors=bool(lab.get("includeSelectors")),
                templates=bool(lab.get("includeTemplates")),
                fields=[field_spec(f, where) for f in lab.get("fields") or []],
            )  # fmt: skip
        if k.get("commonAnnotations"):
            tx.add_annotations(rm, k["commonAnnotations"])
        for i, p in enumerate(k.get("patchesJson6902") or []):
            if "target" not in p:
                raise SpecError(
                    "patchesJson6902 entry needs a target", file=doc.file, line=doc.line_of(("patchesJson6902", i))
                )
            self._patch(root, rm, p, doc, ("patchesJson6902", i), json_only=True)
        if k.get("replicas"):
            tx.set_replicas(rm, k["replicas"], f"{doc.file}:{doc.line_of(('replicas',))} ")
        images = [Image.from_dict(x) for x in [*(k.get("images") or []), *(k.get("imageTags") or [])]]
        if images:
            for r in rm.items:
                transform_images(r.obj, images, [s for s in rm.config.of("images") if s[0] in ("", r.kind)])

    def _patch_text(self, root: Path, entry: Any, doc: Document, at: tuple[str | int, ...]) -> tuple[str, str]:
        if isinstance(entry, dict):
            raise SpecError(
                "a patch entry must be a path or an inline YAML string", file=doc.file, line=doc.line_of(at)
            )
        text = str(entry)
        if "\n" in text or text.lstrip().startswith(("{", "[", "-")) or ":" in text.split("\n", 1)[0]:
            return text, f"{doc.file}:{doc.line_of(at)} (inline patch)"
        path = self._file(root, text, doc.file, doc.line_of(at))
        if path is None:
            raise SpecError(f"patch file {text!r} not found", file=doc.file, line=doc.line_of(at))
        return path.read_text(encoding="utf-8"), str(path)

    def _patch(
        self,
        root: Path,
        rm: ResMap,
        p: dict[str, Any],
        doc: Document,
        at: tuple[str | int, ...],
        json_only: bool = False,
    ) -> None:
        if not isinstance(p, dict) or ("path" in p) == ("patch" in p):
            raise SpecError("a patch needs exactly one of path or patch", file=doc.file, line=doc.line_of(at))
        if (p.get("options") or {}).get("allowNameChange") or (p.get("options") or {}).get("allowKindChange"):
            raise UnsupportedError(f"{doc.file}:{doc.line_of(at)} patch options allowNameChange/allowKindChange")
        if "path" in p:
            path = self._file(root, str(p["path"]), doc.file, doc.line_of((*at, "path")))
            if path is None:
                raise SpecError(f"patch file {p['path']!r} not found", file=doc.file, line=doc.line_of((*at, "path")))
            text, label = path.read_text(encoding="utf-8"), str(path)
        else:
            text, label = str(p["patch"]), f"{doc.file}:{doc.line_of((*at, 'patch'))} (inline patch)"
        bodies, is_json = parse_patch_body(text, label)
        target = p.get("target")
        if is_json:
            if target is None:
                raise SpecError("a JSON6902 patch needs a target", file=doc.file, line=doc.line_of(at))
            for r in select(rm, target):
                patched = apply_json6902(r.obj, bodies[0])
                if (
                    not isinstance(patched, dict)
                    or not patched.get("kind")
                    or not isinstance(patched.get("metadata"), dict)
                ):
                    raise SpecError(f"JSON6902 patch leaves {r.describe()} without a kind or metadata", file=label)
                r.obj = patched
            return
        if json_only:
            raise SpecError("patchesJson6902 entry is not a JSON6902 operation list", file=label)
        for body in bodies:
            self._smp(rm, body, target, label)

    def _smp(self, rm: ResMap, body: Any, target: dict[str, Any] | None, label: str) -> None:
        if not isinstance(body, dict):
            raise SpecError("a strategic merge patch must be a YAML mapping", file=label)
        if target is not None:
            matched = select(rm, target)
        else:
            name = (body.get("metadata") or {}).get("name")
            ns = (body.get("metadata") or {}).get("namespace")
            # kustomize matches an untargeted patch against every id (name and namespace) the resource has had
            # (GetMatchingResourcesByAnyId): an overlay may name a base resource as it was in any layer, but a patch
            # without a namespace does not match a resource that was always namespaced.
            matched = [r for r in rm.items if r.kind == str(body.get("kind")) and r.had_id(str(name), str(ns or ""))]
            if not matched:
                raise SpecError(f"no resource matches strategic merge patch {body.get('kind')} {name!r}", file=label)
        for r in matched:
            patch = copy.deepcopy(body)
            if target is not None:
                # With a target, the patch's own name/kind are only placeholders.
                for key in ("name", "namespace"):
                    (patch.get("metadata") or {}).pop(key, None)
                patch.pop("kind", None)
                patch.pop("apiVersion", None)
            merged = strategic_merge(r.obj, patch)
            if merged is Deleted:
                rm.items.remove(r)
            else:
                keep_name = r.name
                r.obj = merged
                r.meta["name"] = keep_name


def build(directory: str | Path, boundary: Path | None = None) -> list[dict[str, Any]]:
    """The objects ``kustomize build DIRECTORY`` prints, in its order; nothing outside ``boundary`` is read."""
    builder = Builder(boundary)
    builder._dir(Path(directory), str(directory), None)
    return builder.build(directory)
