"""The demo's closing table: one line per stage with what it produced (the same facts the test checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from shipyard.cli.pipeline_view import succeeded

if TYPE_CHECKING:
    from shipyard.demo.run import DemoResult


def _run(run: dict[str, Any] | None) -> str:
    if run is None:
        return "not run"
    return f"{run['metadata']['name']}: {'Succeeded' if succeeded(run) else '[red]Failed[/]'}"


def _app(apps: dict[str, dict[str, Any]], name: str) -> str:
    app = apps.get(name)
    return f"{app['sync']}/{app['health']} at {str(app['revision'])[:7]}" if app else "not deployed"


def summary(result: DemoResult) -> Table:
    table = Table(title="what the demo did", title_justify="left", show_header=False)
    table.add_column("stage", style="bold")
    table.add_column("outcome", overflow="fold")
    table.add_row("forged push", f"HTTP {result.refused_status}, no run created")
    table.add_row("signed push", _run(result.run))
    build = result.results.get("build", {})
    if build:
        table.add_row("image", build.get("IMAGE_URL", ""))
    d, r = result.delivery, result.release
    apps = {**(d.apps if d else {}), **(r.apps if r else {})}  # staging has the next release when there is one
    if d is not None:
        accepted = ", ".join(f"{a['finding']['id']} ({a['rule']['where']})" for a in d.accepted) or "none"
        table.add_row("scan", f"accepted: {accepted}")
        if d.verified:
            table.add_row("signed + attested", ", ".join(f"{n} {what}" for what, n in d.verified.items()))
        if d.admitted:
            table.add_row("admission", f"admitted {d.admitted.rsplit('@', 1)[-1][:19]}…; unsigned base refused")
        table.add_row("staging", _app(apps, "order-service-staging"))
        if d.production_request is not None:
            table.add_row(
                "production",
                f"request #{d.production_request} approved; {_app(d.apps, 'order-service-production')}",
            )
    if result.release_run is not None:
        table.add_row("next release", _run(result.release_run))
    if r is not None and r.canary is not None:
        steps = sum(1 for _, reason, _ in r.canary.events if reason == "RolloutStepCompleted")
        table.add_row("canary", f"{r.canary.phase} after {steps} steps (simulated pods, fake clock)")
    for failure in [*(d.failures if d else []), *(r.failures if r else [])]:
        table.add_row("[red]failed", failure)
    return table
