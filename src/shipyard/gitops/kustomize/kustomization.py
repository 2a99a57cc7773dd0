"""A kustomization file: finding it, loading it, and checking its fields before anything is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.errors import SpecError, UnsupportedError
from shipyard.gitops.kustomize.output import ensure_bounded, precheck
from shipyard.resources.loader import Document, load_file
from shipyard.resources.validate import did_you_mean

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED = {
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix",
    "nameSuffix", "commonLabels", "labels", "commonAnnotations", "images", "imageTags", "replicas", "patches",
    "patchesStrategicMerge", "patchesJson6902", "configMapGenerator", "secretGenerator", "generatorOptions",
    "sortOptions", "configurations",
}  # fmt: skip
KNOWN_UNSUPPORTED = {
    "helmCharts", "helmGlobals", "helmChartInflationGenerator", "replacements", "vars", "crds",
    "transformers", "generators", "validators", "openapi", "buildMetadata",
}  # fmt: skip


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def load_kustomization(directory: Path) -> tuple[Document, dict[str, Any]]:
    """The kustomization in ``directory``, checked: known fields only, unsupported ones named, types as kustomize's
    Go structs demand."""
    kfile = find_kustomization(directory)
    if kfile is None:
        raise SpecError(
            f"unable to find one of {', '.join(repr(n) for n in KUSTOMIZATION_FILES)} in directory",
            file=str(directory),
        )
    precheck(kfile.read_text(encoding="utf-8", errors="replace"), str(kfile))
    docs = load_file(kfile)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise SpecError("a kustomization must be one YAML mapping", file=str(kfile))
    doc = docs[0]
    k: dict[str, Any] = ensure_bounded(doc.data, str(kfile))
    for key in k:
        if key in KNOWN_UNSUPPORTED:
            raise UnsupportedError(
                f"{kfile}:{doc.line_of((key,))} {key}: shipyard's kustomize does not support {key!r}"
            )
        if key not in SUPPORTED:
            raise SpecError(
                f"unknown field{did_you_mean(key, SUPPORTED)}", file=str(kfile), line=doc.line_of((key,)), path=key
            )
    _check_types(doc, k)
    return doc, k


def legacy_null_labels(body: Any) -> Any:
    """patchesStrategicMerge loads each patch as a resource, whose labels and annotations are string maps, so a
    ``null`` there (which would delete the key in ``patches:``) becomes the string "null" — kustomize's output."""
    meta = body.get("metadata") if isinstance(body, dict) else None
    if isinstance(meta, dict):
        for key in ("labels", "annotations"):
            if isinstance(meta.get(key), dict):
                meta[key] = {k: "null" if v is None else v for k, v in meta[key].items()}
    return body


def sort_options(doc: Document, opts: Any) -> dict[str, Any]:
    if opts is None:
        return {}
    where = doc.line_of(("sortOptions",))
    if not isinstance(opts, dict) or set(opts) - {"order", "legacySortOptions"}:
        raise SpecError("sortOptions takes order and legacySortOptions", file=doc.file, line=where, path="sortOptions")
    if opts.get("order", "legacy") not in ("legacy", "fifo"):
        raise SpecError(f"sortOptions.order must be legacy or fifo, not {opts['order']!r}", file=doc.file, line=where)
    legacy = opts.get("legacySortOptions") or {}
    if legacy and (opts.get("order") != "legacy" or not isinstance(legacy, dict)
                   or set(legacy) - {"orderFirst", "orderLast"}):  # fmt: skip
        raise SpecError("sortOptions.legacySortOptions needs order: legacy and takes orderFirst and orderLast",
                        file=doc.file, line=where)  # fmt: skip
    return opts


_STRINGS = ("namespace", "namePrefix", "nameSuffix")
_STRING_MAPS = ("commonLabels", "commonAnnotations")
_IMAGE_FIELDS = ("name", "newName", "newTag", "digest", "tagSuffix")


def _check_types(doc: Document, k: dict[str, Any]) -> None:
    """kustomize decodes the kustomization into typed Go structs: an unquoted ``newTag: 1.10`` or ``version: 1``
    label is an error there, not a silently reformatted number."""

    def bad(path: tuple[str | int, ...], want: str) -> SpecError:
        return SpecError(f"must be {want} (quote it)", file=doc.file, line=doc.line_of(path),
                         path=".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "["))  # fmt: skip

    for key in _STRINGS:
        if key in k and not isinstance(k[key], str):
            raise bad((key,), "a string")
    for key in _STRING_MAPS:
        if key in k:
            if not isinstance(k[key], dict):
                raise bad((key,), "a mapping of strings")
            for lk, lv in k[key].items():
                if not isinstance(lv, str):
                    raise bad((key, lk), "a string")
    for key in ("images", "imageTags"):
        for i, entry in enumerate(k.get(key) or []):
            if not isinstance(entry, dict):
                raise bad((key, i), "a mapping")
            for f in _IMAGE_FIELDS:
                if f in entry and not isinstance(entry[f], str):
                    raise bad((key, i, f), "a string")
    for key in ("resources", "bases", "components", "patchesStrategicMerge", "configurations"):
        if key in k and not isinstance(k[key], list):
            raise bad((key,), "a list")
