"""``shipyard rollouts ...``: the ``kubectl argo rollouts`` verbs on the local cluster, the controller loop, and
the what-if simulator."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.output import console, emit, err_console
from shipyard.errors import NotFoundError, ShipyardError, SpecError

app = typer.Typer(
    name="rollouts", help="Progressive delivery: Argo Rollouts verbs and the what-if simulator.", no_args_is_help=True
)
get_app = typer.Typer(name="get", help="Show a rollout as Argo's tree.", no_args_is_help=True)
list_app = typer.Typer(name="list", help="List rollouts.", no_args_is_help=True)
retry_app = typer.Typer(name="retry", help="Retry an aborted rollout.", no_args_is_help=True)
set_app = typer.Typer(name="set", help="Set fields of a rollout.", no_args_is_help=True)
for sub in (get_app, list_app, retry_app, set_app):
    app.add_typer(sub)

NsOpt = Annotated[str, typer.Option("-n", "--namespace", help="namespace")]
ROLLOUT = "argoproj.io/Rollout"


def _home() -> Path:
    return Path(os.environ.get("SHIPYARD_HOME") or Path.cwd() / ".shipyard")


def _cluster() -> Any:
    from shipyard.cluster.local import LocalCluster
    from shipyard.store.db import Database

    return LocalCluster(Database(_home() / "state.db"))


def _get(cluster: Any, ns: str, name: str) -> dict[str, Any]:
    obj = cluster.get(ROLLOUT, ns, name)
    if obj is None:
        raise NotFoundError(f'rollout "{name}" not found in namespace "{ns}"')
    return dict(obj)


def _patch(ns: str, name: str, fn: Any, **kw: Any) -> None:
    cluster = _cluster()
    obj = _get(cluster, ns, name)
    new, message = fn(obj, **kw)
    if new["spec"] != obj["spec"]:
        obj = cluster.update({**new, "status": obj.get("status")})
    if new.get("status") != obj.get("status"):
        cluster.update_status({**obj, "status": new.get("status")})
    console.print(message, markup=False, soft_wrap=True)


def _owned(obj: dict[str, Any], uid: str) -> bool:
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])


def _view(cluster: Any, ns: str, name: str) -> dict[str, Any]:
    from shipyard.delivery.info import rollout_view

    ro = _get(cluster, ns, name)
    uid = ro["metadata"]["uid"]
    rss = [r for r in cluster.list("apps/ReplicaSet", ns) if _owned(r, uid)]
    runs = [r for r in cluster.list("argoproj.io/AnalysisRun", ns) if _owned(r, uid)]
    return rollout_view(ro, rss, runs, time.time())


@get_app.command("rollout")
def get_rollout(
    name: str,
    namespace: NsOpt = "default",
    watch: Annotated[bool, typer.Option("-w", "--watch", help="re-render on every change")] = False,
    output: Annotated[str | None, typer.Option("-o", "--output", help="json or yaml")] = None,
) -> None:
    """Rollout details and its revision tree, as ``kubectl argo rollouts get rollout``."""
    from shipyard.delivery.info import render

    cluster = _cluster()
    last = ""
    while True:
        view = _view(cluster, namespace, name)
        if output:
            emit(view, output)
            return
        text = render(view)
        if text != last:
            if watch:
                console.clear()
            console.print(text, markup=False, highlight=False, soft_wrap=True)
            last = text
        if not watch or view["status"] in ("Healthy", "Degraded"):
            return
        time.sleep(0.5)


@list_app.command("rollouts")
def list_rollouts(
    namespace: NsOpt = "default",
    all_namespaces: Annotated[bool, typer.Option("-A", "--all-namespaces")] = False,
    output: Annotated[str | None, typer.Option("-o", "--output")] = None,
) -> None:
    """``NAME STRATEGY STATUS STEP SET-WEIGHT READY DESIRED UP-TO-DATE AVAILABLE``."""
    cluster = _cluster()
    rows = []
    for ro in cluster.list(ROLLOUT, None if all_namespaces else namespace):
        v = _view(cluster, ro["metadata"].get("namespace") or "", ro["metadata"]["name"])
        rows.append(
            {
                "namespace": v["namespace"],
                "name": v["name"],
                "strategy": v["strategy"],
                "status": v["status"],
                "step": v["step"] or "-",
                "setWeight": "-" if v["setWeight"] is None else v["setWeight"],
                "ready": f"{v['ready']}/{v['desired']}",
                "desired": v["desired"],
                "upToDate": v["updated"],
                "available": v["available"],
            }
        )
    if output:
        emit(rows, output)
        return
    head = ["NAME", "STRATEGY", "STATUS", "STEP", "SET-WEIGHT", "READY", "DESIRED", "UP-TO-DATE", "AVAILABLE"]
    keys = ["name", "strategy", "status", "step", "setWeight", "ready", "desired", "upToDate", "available"]
    if all_namespaces:
        head, keys = ["NAMESPACE", *head], ["namespace", *keys]
    table = [head] + [[str(r[k]) for k in keys] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        console.print("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip(), markup=False, soft_wrap=True)


def _duration(text: str, flag: str) -> float:
    """A Go duration as kubectl-argo-rollouts' DurationVar takes it (``30s``, ``2m``); a bare number is seconds."""
    from shipyard.resources.durations import parse_duration

    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise SpecError(f"{flag} {text!r}: {exc}") from exc


@app.command("status")
def status(
    name: str,
    namespace: NsOpt = "default",
    timeout: Annotated[
        str,
        typer.Option(
            "-t", "--timeout", help="how long to watch (e.g. 1s, 2m, 3h; a bare number is seconds); 0 = forever"
        ),
    ] = "0",
    watch: Annotated[bool, typer.Option("--watch/--no-watch", "-w")] = True,
) -> None:
    """Print ``Phase - message`` until Healthy or Degraded; exit 1 on Degraded or timeout."""
    limit = _duration(timeout, "--timeout")
    cluster = _cluster()
    started = time.monotonic()
    last = None
    while True:
        st = _get(cluster, namespace, name).get("status") or {}
        line = st.get("phase", "Progressing") + (f" - {st['message']}" if st.get("message") else "")
        if line != last:
            console.print(line, markup=False, soft_wrap=True)
            last = line
        if st.get("phase") == "Degraded":
            err_console.print(
                f"Error: The rollout is in a degraded state with message: {st.get('message', '')}",
                markup=False,
                soft_wrap=True,
            )
            raise typer.Exit(1)
        if st.get("phase") == "Healthy" or not watch:
            return
        if limit and time.monotonic() - started > limit:
            err_console.print("Error: Rollout status watch exceeded timeout", markup=False, soft_wrap=True)
            raise typer.Exit(1)
        time.sleep(0.5)


@app.command("promote")
def promote(
    name: str,
    namespace: NsOpt = "default",
    full: Annotated[bool, typer.Option("--full", help="skip all remaining steps and analysis")] = False,
) -> None:
    """Promote one step (clear the pause) or, with --full, all the way."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.promote, full=full)


@app.command("pause")
def pause(name: str, namespace: NsOpt = "default") -> None:
    """Pause the rollout (spec.paused)."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.pause)


@app.command("resume")
def resume(name: str, namespace: NsOpt = "default") -> None:
    """Unpause the rollout."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.resume)


@app.command("abort")
def abort(name: str, namespace: NsOpt = "default") -> None:
    """Abort the update: traffic back to stable, canary scaled down."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.abort)


@retry_app.command("rollout")
def retry_rollout(name: str, namespace: NsOpt = "default") -> None:
    """Clear the abort; the update restarts from step 0."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.retry)


@set_app.command("image")
def set_image(
    name: str, container_image: Annotated[str, typer.Argument(metavar="CONTAINER=IMAGE")], namespace: NsOpt = "default"
) -> None:
    """Update a container's image (starts a new revision)."""
    from shipyard.delivery import actions

    container, sep, image = container_image.partition("=")
    if not sep or not container or not image:
        raise ShipyardError("expected CONTAINER=IMAGE, e.g. order-service=registry.local/order-service:v2")
    _patch(namespace, name, actions.set_image, container=container, image=image)


@app.command("undo")
def undo(
    name: str,
    namespace: NsOpt = "default",
    to_revision: Annotated[int, typer.Option("--to-revision", help="0 = the previous revision")] = 0,
) -> None:
    """Roll back the pod template to a previous revision."""
    from shipyard.delivery import actions

    cluster = _cluster()
    ro = _get(cluster, namespace, name)
    uid = ro["metadata"]["uid"]
    rss = [
        r
        for r in cluster.list("apps/ReplicaSet", namespace)
        if any(o.get("uid") == uid for o in r["metadata"].get("ownerReferences") or [])
    ]
    _patch(namespace, name, actions.undo, replica_sets=rss, to_revision=to_revision)


@app.command("restart")
def restart(
    name: str,
    namespace: NsOpt = "default",
    in_: Annotated[float, typer.Option("-i", "--in", help="seconds from now")] = 0,
) -> None:
    """Set spec.restartAt."""
    from shipyard.delivery import actions

    _patch(namespace, name, actions.restart, now=time.time(), in_seconds=in_)


@app.command("create")
def create(files: Annotated[list[Path], typer.Option("-f", "--filename", help="YAML file(s)")]) -> None:
    """Create or update Rollouts, AnalysisTemplates, Services, Ingresses from files in the local cluster."""
    from shipyard.resources.kinds import lint
    from shipyard.resources.loader import load_documents
    from shipyard.resources.validate import Issues

    cluster = _cluster()
    docs = load_documents(list(files))
    for doc in docs:
        issues = Issues(doc)
        if doc.kind in ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"):
            lint(doc, issues)
        issues.raise_if_any()
    for doc in docs:
        data = dict(doc.data)
        data.setdefault("metadata", {}).setdefault(
            "namespace", "" if doc.kind == "ClusterAnalysisTemplate" else "default"
        )
        cluster.apply(data)
        console.print(f"{(doc.kind or '').lower()}/{doc.name} applied", markup=False, soft_wrap=True)


@app.command("controller")
def controller(once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False) -> None:
    """Run the rollout controller on the local cluster with the real metric providers."""
    from shipyard.clock import SystemClock
    from shipyard.controllers.rollouts import RolloutController
    from shipyard.metrics import providers

    ctrl = RolloutController(_cluster(), SystemClock(), providers())
    while True:
        ctrl.settle()
        if once:
            return
        time.sleep(1.0)


@app.command("simulate")
def simulate(
    files: Annotated[list[Path], typer.Option("-f", "--filename", help="Rollout and AnalysisTemplate files")],
    scenario: Annotated[Path, typer.Option("--scenario", help="scenario YAML")],
    output: Annotated[str | None, typer.Option("-o", "--output", help="json or yaml")] = None,
) -> None:
    """What-if: run the real controller on a simulated cluster with a fake clock and scripted metrics."""
    from shipyard.cli.rollouts_sim import print_timeline, run_simulation

    report = run_simulation(files, scenario)
    if output:
        emit(report, output)
    else:
        print_timeline(report)
