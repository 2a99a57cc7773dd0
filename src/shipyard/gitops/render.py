"""Render an application's source: Argo CD's kustomize overrides (``kustomize edit set image|nameprefix|…``
applied to the app's kustomization before ``kustomize build``), or a plain directory of manifests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from shipyard.errors import SpecError
from shipyard.gitops.app import AppSpec
from shipyard.gitops.edit import set_image_text
from shipyard.gitops.kustomize import build, find_kustomization
from shipyard.gitops.kustomize.output import precheck
from shipyard.resources.loader import load_file


def apply_overrides(text: str, app: AppSpec, file: str) -> str:
    if app.images:
        text = set_image_text(text, *app.images, file=file)
    if not app.kustomize:
        return text
    y = YAML(typ="rt")
    doc = y.load(text) or {}
    for key, val in app.kustomize.items():
        if key in ("commonLabels", "commonAnnotations"):
            doc[key] = {**(doc.get(key) or {}), **val}
        elif key == "replicas":
            doc[key] = [*[r for r in doc.get(key) or [] if r.get("name") not in {v["name"] for v in val}], *val]
        else:
            doc[key] = val
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def render_app(checkout: Path, app: AppSpec) -> list[dict[str, Any]]:
    """The manifests ``app`` wants, from a checked-out source tree (``checkout`` is a scratch copy: overrides
    are written into it)."""
    root = (checkout / app.path).resolve()
    if checkout.resolve() not in (root, *root.parents):
        raise SpecError(f"app path {app.path!r} leaves the repository", path="spec.source.path")
    if not root.is_dir():
        raise SpecError(f"app path {app.path!r} does not exist in the repository", path="spec.source.path")
    kfile = find_kustomization(root)
    if kfile is not None:
        if app.images or app.kustomize:
            kfile.write_text(apply_overrides(kfile.read_text(encoding="utf-8"), app, str(kfile)), encoding="utf-8")
        return build(root, boundary=checkout)
    if app.images or app.kustomize:
        raise SpecError(f"kustomize overrides given but {app.path!r} has no kustomization", path="spec.source")
    objs: list[dict[str, Any]] = []
    for f in sorted(root.iterdir()):
        if f.is_file() and f.suffix in (".yaml", ".yml", ".json"):
            precheck(f.read_text(encoding="utf-8", errors="replace"), str(f))
            for d in load_file(f):
                if not isinstance(d.data, dict):
                    raise SpecError("a manifest must be a YAML mapping", file=str(f), line=d.line)
                objs.append(d.data)
    return objs
