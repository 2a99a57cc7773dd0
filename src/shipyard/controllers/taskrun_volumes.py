"""A Task's own ``volumes`` and its steps' ``volumeMounts`` (Kubernetes volumes, not workspaces), made local.

Upstream examples (``taskruns/custom-volume.yaml``, ``configmap.yaml``, ``secret-volume-params.yaml``) share data
between steps through a Task volume and read ConfigMaps/Secrets from mounted files. Locally:

- ``emptyDir`` is a directory of the TaskRun attempt; ``configMap``/``secret`` are read-only directories written from
  the objects in the files (all keys, or ``items`` key→path), a missing object or key is an error unless the
  volume is ``optional``; Secret values are masked in logs like Secret env;
- every ``volumeMounts`` entry of a step becomes a mount at its ``mountPath`` for that step only; the stepTemplate's
  entries apply to every step, and a step's own entry for the same ``mountPath`` wins (the merge key Tekton's
  strategic merge of the stepTemplate uses);
- other volume types are refused before anything runs (``pipelines.taskrun.check_supported``).

The volumes come from the substituted taskSpec, so ``$(params.x)`` in ``secretName`` works as in Tekton.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.controllers.pipeline_workspaces import join_sub_path, write_items
from shipyard.errors import ShipyardError
from shipyard.runtime.base import Mount


@dataclass(slots=True)
class TaskVolumes:
    steps: list[list[Mount]] = field(default_factory=list)  # by step index
    secrets: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _source(
    volume: dict[str, Any], root: Path, key_values: Mapping[tuple[str, str, str], str], out: TaskVolumes
) -> tuple[Path, bool] | None:
    name = str(volume.get("name", ""))
    directory = root / name
    if "emptyDir" in volume:
        directory.mkdir(parents=True, exist_ok=True)
        return directory, False
    kind, spec = ("ConfigMap", volume["configMap"]) if "configMap" in volume else ("Secret", volume["secret"])
    spec = spec or {}
    obj = str(spec.get("name") if kind == "ConfigMap" else spec.get("secretName") or "")
    data = {k: v for (kd, n, k), v in key_values.items() if kd == kind and n == obj}
    if not data and not spec.get("optional"):
        out.problems.append(f'volume "{name}": {kind} "{obj}" not found; put it in the files or --resources')
        return None
    items = {str(i["key"]): str(i.get("path") or i["key"]) for i in spec.get("items") or []} or {k: k for k in data}
    missing = [k for k in items if k not in data]
    if missing and data and not spec.get("optional"):
        out.problems.append(f'volume "{name}": {kind} "{obj}" has no key "{missing[0]}"')
        return None
    write_items(directory, data, items)
    if kind == "Secret":
        out.secrets.update(v for v in data.values() if v)
    return directory, True


def task_volumes(spec: Mapping[str, Any], root: Path, key_values: Mapping[tuple[str, str, str], str]) -> TaskVolumes:
    """Per-step mounts for the substituted taskSpec ``spec``; volume directories are made under ``root``."""
    out = TaskVolumes()
    volumes = {str(v.get("name")): v for v in spec.get("volumes") or []}
    template = list((spec.get("stepTemplate") or {}).get("volumeMounts") or [])
    sources: dict[str, tuple[Path, bool] | None] = {}
    for step in spec.get("steps") or []:
        own = list(step.get("volumeMounts") or [])
        own_paths = {str(vm.get("mountPath", "")) for vm in own}
        wanted = [vm for vm in template if str(vm.get("mountPath", "")) not in own_paths] + own
        mounts: list[Mount] = []
        for vm in wanted:
            mount = _mount(vm, volumes, sources, root, key_values, out)
            if mount is not None and all(m.path != mount.path for m in mounts):
                mounts.append(mount)
        out.steps.append(mounts)
    return out


def _mount(
    vm: Mapping[str, Any],
    volumes: Mapping[str, dict[str, Any]],
    sources: dict[str, tuple[Path, bool] | None],
    root: Path,
    key_values: Mapping[tuple[str, str, str], str],
    out: TaskVolumes,
) -> Mount | None:
    name, path = str(vm.get("name", "")), str(vm.get("mountPath", ""))
    if name not in volumes:
        problem = f'volumeMounts: no volume named "{name}" in the Task\'s volumes'
        if problem not in out.problems:
            out.problems.append(problem)
        return None
    if name not in sources:
        sources[name] = _source(volumes[name], root, key_values, out)
    source = sources[name]
    if source is None:
        return None
    directory, read_only = source
    try:
        directory = join_sub_path(directory, str(vm.get("subPath") or ""))
    except ShipyardError as exc:
        out.problems.append(f'volumeMounts "{name}": {exc}')
        return None
    directory.mkdir(parents=True, exist_ok=True)
    return Mount(path=path, source=directory, read_only=read_only or bool(vm.get("readOnly")))


def isolate_workspaces(
    spec: Mapping[str, Any], workspace_mounts: list[Mount]
) -> tuple[list[Mount], list[list[Mount]], list[str]]:
    """Isolated workspaces (``steps[].workspaces``, docs/workspaces.md "Isolated Workspaces"): a workspace that any
    step lists is mounted only in the steps that list it, at the usage's ``mountPath`` (default: the workspace's).

    Returns the TaskRun-wide mounts, the extra mounts of each step, and problems (a usage naming no workspace)."""
    by_name = {m.path: m for m in workspace_mounts}
    declared = {str(w.get("name")): w for w in spec.get("workspaces") or []}
    steps = list(spec.get("steps") or [])
    per_step: list[list[Mount]] = [[] for _ in steps]
    problems: list[str] = []
    isolated: set[str] = set()
    for i, step in enumerate(steps):
        for usage in step.get("workspaces") or []:
            name = str(usage.get("name", ""))
            if name not in declared:
                problems.append(f'steps[{i}].workspaces: no workspace named "{name}" in the Task')
                continue
            default_path = str(declared[name].get("mountPath") or f"/workspace/{name}")
            bound = by_name.get(default_path)
            if bound is None:  # an optional workspace left unbound: nothing to mount
                continue
            isolated.add(default_path)
            # Go's JSON decoding matches field names case-insensitively; upstream's example writes "mountpath".
            path = next((str(v) for k, v in usage.items() if k.lower() == "mountpath" and v), default_path)
            per_step[i].append(Mount(path=path, source=bound.source, read_only=bound.read_only))
    shared = [m for m in workspace_mounts if m.path not in isolated]
    return shared, per_step, problems
