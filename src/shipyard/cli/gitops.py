"""``shipyard gitops render|set-image|promote|approve|app …``: kustomize rendering and edits, promotion into a
GitOps repo, and Applications run by the sync agent against the local cluster."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from shipyard.cli.output import OutputFormat, console, emit

app = typer.Typer(name="gitops", help="Render kustomizations, promote images, run Applications.", no_args_is_help=True)
apps = typer.Typer(name="app", help="Applications (Argo CD Application or Flux Kustomization).", no_args_is_help=True)
app.add_typer(apps)

OutOpt = typer.Option(None, "-o", "--output", help="json or yaml")


def _home() -> Path:
    return Path(os.environ.get("SHIPYARD_HOME") or Path.cwd() / ".shipyard")


def _agent() -> Any:
    from shipyard.cluster.local import LocalCluster
    from shipyard.controllers.sync import SyncAgent
    from shipyard.store.db import Database

    db = Database(_home() / "state.db")
    return SyncAgent(LocalCluster(db), db, _home() / "gitops" / "cache")


def _promoter() -> Any:
    from shipyard.controllers.promote import Promoter
    from shipyard.store.db import Database

    return Promoter(_home() / "gitops" / "cache", Database(_home() / "state.db"))


@app.command("render")
def render(directory: Path, output: OutputFormat | None = OutOpt) -> None:
    """Print what ``kustomize build DIRECTORY`` prints."""
    from shipyard.gitops.kustomize import build, dump_documents

    objs = build(directory)
    if output is OutputFormat.json:
        emit(objs, output)
    else:
        typer.echo(dump_documents(objs), nl=False)


@app.command("set-image")
def set_image(directory: Path, images: list[str]) -> None:
    """``kustomize edit set image NAME=NEWNAME:TAG@DIGEST ...``, keeping comments and formatting."""
    from shipyard.errors import SpecError
    from shipyard.gitops.edit import set_image_text
    from shipyard.gitops.kustomize import find_kustomization
    from shipyard.store.files import atomic_write_text

    kfile = find_kustomization(directory)
    if kfile is None:
        raise SpecError("no kustomization.yaml in directory", file=str(directory))
    text = kfile.read_text(encoding="utf-8")
    new = set_image_text(text, *images, file=str(kfile))
    if new != text:
        atomic_write_text(kfile, new)
    console.print(f"{kfile}: {'updated' if new != text else 'unchanged'}")


@app.command("promote")
def promote(
    repo: str = typer.Option(..., "--repo", help="GitOps repository URL or path"),
    path: str = typer.Option(..., "--path", help="overlay directory, e.g. services/S/overlays/ENV"),
    image: str = typer.Option(..., "--image", help="NAME=REF:TAG@DIGEST"),
    source_url: str = typer.Option("", "--source-url", help="CI run URL"),
    source_commit: str = typer.Option("", "--source-commit", help="source commit SHA (Source-Commit trailer)"),
    branch: str = typer.Option("main", "--branch"),
    service: str = typer.Option("", "--service", help="service name when the path does not say it"),
    pr: bool = typer.Option(False, "--pr", help="push promote/<S>/<ENV>/<TAG> and record a promotion request"),
    output: OutputFormat | None = OutOpt,
) -> None:
    """Promote an image: edit the overlay, commit, push (re-applying on a moved branch)."""
    from shipyard.gitops.promotion import make_promotion

    p = make_promotion(path, image, service=service, source_url=source_url, source_commit=source_commit)
    res = _promoter().promote(repo, p, branch=branch, pr=pr)
    if output:
        emit(res.to_dict(), output)
    else:
        extra = f" (request {res.request_id})" if res.request_id is not None else ""
        console.print(f"{res.status} {res.commit[:12]} on {res.branch}{extra}")


@app.command("approve")
def approve(request_id: int, output: OutputFormat | None = OutOpt) -> None:
    """Merge a promotion request into its base branch."""
    res = _promoter().approve(request_id)
    if output:
        emit(res.to_dict(), output)
    else:
        console.print(f"{res.status} {res.commit[:12]} on {res.branch}")


@apps.command("create")
def app_create(
    file: Path = typer.Option(..., "-f", "--file", help="Application, or Flux Kustomization + GitRepository"),
    upsert: bool = typer.Option(False, "--upsert"),
    output: OutputFormat | None = OutOpt,
) -> None:
    from shipyard.gitops.app import apps_from_documents
    from shipyard.resources.loader import load_file

    agent = _agent()
    created = [agent.create_app(spec, replace=upsert) for spec in apps_from_documents(load_file(file), str(file))]
    if output:
        emit(created, output)
    else:
        for a in created:
            console.print(f"application {a['name']} created")


def _row(a: dict[str, Any]) -> str:
    st = a["status"]
    return (
        f"{a['name']:<32} {st.get('sync', {}).get('status', '-'):<10} {st.get('health', {}).get('status', '-'):<12} "
        f"{str(st.get('sync', {}).get('revision', ''))[:12]}"
    )


@apps.command("list")
def app_list(output: OutputFormat | None = OutOpt) -> None:
    items = _agent().list_apps()
    if output:
        emit(items, output)
        return
    console.print(f"{'NAME':<32} {'SYNC':<10} {'HEALTH':<12} REVISION")
    for a in items:
        console.print(_row(a))


@apps.command("get")
def app_get(name: str, output: OutputFormat | None = OutOpt) -> None:
    a = _agent().get(name)
    if output:
        emit(a, output)
        return
    console.print(_row(a))
    for r in a["status"].get("resources", []):
        console.print(f"  {r['kind']:<24} {r['namespace']}/{r['name']:<30} {r['status']:<10} {r['health']}")
    for c in a["status"].get("conditions", []):
        console.print(f"  [red]{c['type']}[/red]: {c['message']}")


@apps.command("sync")
def app_sync(
    name: str,
    revision: str | None = typer.Option(None, "--revision"),
    prune: bool | None = typer.Option(None, "--prune/--no-prune"),
    refresh_only: bool = typer.Option(False, "--refresh", help="reconcile (auto-sync rules) instead of forcing a sync"),
    output: OutputFormat | None = OutOpt,
) -> None:
    agent = _agent()
    st = agent.reconcile(name) if refresh_only else agent.sync(name, revision=revision, prune=prune)
    if output:
        emit(st, output)
    else:
        console.print(_row(agent.get(name)))


@apps.command("history")
def app_history(name: str, output: OutputFormat | None = OutOpt) -> None:
    h = _agent().history(name)
    if output:
        emit(h, output)
        return
    console.print(f"{'ID':<4} {'DEPLOYED':<22} REVISION")
    for e in h:
        console.print(f"{e['id']:<4} {e['deployedAt']:<22} {e['revision']}")


@apps.command("rollback")
def app_rollback(name: str, history_id: int, output: OutputFormat | None = OutOpt) -> None:
    st = _agent().rollback(name, history_id)
    if output:
        emit(st, output)
    else:
        console.print(json.dumps({"phase": st.get("operationState", {}).get("phase"), "sync": st.get("sync")}))
