"""Workspace bindings made real as host directories (docs/workspaces.md "Specifying VolumeSources").

- ``emptyDir``: a fresh directory per TaskRun (not shared across tasks);
- ``volumeClaimTemplate``: one directory per run, shared by its tasks (the claim Tekton would create);
- ``persistentVolumeClaim``: ``$SHIPYARD_HOME/pipelines/claims/<claimName>``, kept across runs;
- ``configMap`` / ``secret``: the in-file object's keys written as files, mounted read-only;
- ``-w name=DIR``: a host directory given on the command line, used as is;
- ``subPath`` (run binding, then pipeline task) is appended; it may use ``$(context.pipelineRun.name|uid)``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import NotFoundError, UnsupportedError
from shipyard.pipelines.resolve import Catalog
from shipyard.pipelines.substitution import substitute
from shipyard.resources.tekton import WorkspaceBinding


@dataclass(frozen=True, slots=True)
class HostVolume:
    path: Path | None  # None: emptyDir, made per TaskRun
    read_only: bool = False
    claim: str = ""
    volume: str = ""


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def materialise(
    bindings: list[WorkspaceBinding],
    *,
    run_name: str,
    run_uid: str,
    run_dir: Path,
    home: Path,
    host: Mapping[str, str],
    catalog: Catalog,
) -> dict[str, HostVolume]:
    """Directories for every binding of a run (and every ``-w`` host directory), by workspace name."""
    scope = {
        "context": {"pipelineRun": {"name": run_name, "uid": run_uid}, "taskRun": {"name": run_name, "uid": run_uid}}
    }
    out: dict[str, HostVolume] = {}
    for b in bindings:
        volume = f"ws-{_short(run_name + b.name)}"
        sub = substitute(b.sub_path, scope) if b.sub_path else ""
        if b.name in host:
            continue
        if b.empty_dir is not None or (
            b.volume_claim_template is None
            and b.persistent_volume_claim is None
            and b.config_map is None
            and b.secret is None
            and b.projected is None
            and b.csi is None
        ):
            out[b.name] = HostVolume(None, volume=volume)
            continue
        if b.volume_claim_template is not None:
            path = run_dir / "volumes" / b.name
            claim = f"pvc-{_short(run_uid + b.name)}"
            out[b.name] = HostVolume(_join(path, sub), claim=claim, volume=volume)
        elif b.persistent_volume_claim is not None:
            claim = b.persistent_volume_claim.claim_name
            path = home / "pipelines" / "claims" / claim
            out[b.name] = HostVolume(
                _join(path, sub), claim=claim, volume=volume, read_only=bool(b.persistent_volume_claim.read_only)
            )
        elif b.config_map is not None:
            data = catalog.config_maps.get(b.config_map.name)
            if data is None:
                if b.config_map.optional:
                    data = {}
                else:
                    raise NotFoundError(
                        f'workspace "{b.name}": ConfigMap "{b.config_map.name}" not found; put it in the files or --resources'
                    )
            items = {i.key: i.path for i in b.config_map.items} if b.config_map.items else {k: k for k in data}
            out[b.name] = HostVolume(
                write_items(run_dir / "configmaps" / b.name, data, items), read_only=True, volume=volume
            )
        elif b.secret is not None:
            data = catalog.secrets.get(b.secret.secret_name)
            if data is None:
                if b.secret.optional:
                    data = {}
                else:
                    raise NotFoundError(
                        f'workspace "{b.name}": Secret "{b.secret.secret_name}" not found; put it in the files or --resources'
                    )
            items = {i.key: i.path for i in b.secret.items} if b.secret.items else {k: k for k in data}
            out[b.name] = HostVolume(
                write_items(run_dir / "secrets" / b.name, data, items, mode=0o400), read_only=True, volume=volume
            )
        else:
            kind = "projected" if b.projected is not None else "csi"
            raise UnsupportedError(
                f'workspace "{b.name}": {kind} volumes are not supported locally; use a volumeClaimTemplate, configMap, secret or -w {b.name}=DIR'
            )
    for name, directory in host.items():
        out[name] = HostVolume(Path(directory).resolve(), volume=f"ws-{_short(run_name + name)}")
    for v in out.values():
        if v.path is not None:
            v.path.mkdir(parents=True, exist_ok=True)
    return out


def join_sub_path(path: Path, sub: str) -> Path:
    """``path/sub``, refusing a subPath that climbs out of the workspace (``..``, absolute, or a symlink)."""
    if not sub:
        return path
    target = (path / sub).resolve()
    if not target.is_relative_to(path.resolve()):
        raise UnsupportedError(f'subPath "{sub}" leaves the workspace')
    return target


_join = join_sub_path


def write_items(directory: Path, data: Mapping[str, str], items: Mapping[str, str], *, mode: int = 0o444) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for key, rel in items.items():
        if key not in data:
            continue
        target = _join(directory, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.write_text(data[key], encoding="utf-8")
        os.chmod(target, mode)
    return directory


def taskrun_dir(volume: HostVolume, taskrun_dir: Path, name: str) -> Path:
    """The host directory of a binding for one TaskRun (an emptyDir is made inside the TaskRun's directory)."""
    if volume.path is not None:
        return volume.path
    path = taskrun_dir / "emptydir" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
