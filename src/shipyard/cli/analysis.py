"""``shipyard analysis run|replay``: one AnalysisRun from template files against the real providers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.output import console, emit
from shipyard.errors import ShipyardError, SpecError

app = typer.Typer(name="analysis", help="Run AnalysisTemplates against real metric providers.", no_args_is_help=True)

FileOpt = Annotated[list[Path], typer.Option("-f", "--filename", help="AnalysisTemplate file(s)")]
ArgOpt = Annotated[list[str], typer.Option("-a", "--arg", help="k=v (repeatable)")]


def _spec(files: list[Path], args: list[str]) -> Any:
    from shipyard.delivery.analysis.templates import flatten, merge_args
    from shipyard.resources.analysis import AnalysisRunSpec, AnalysisTemplateSpec
    from shipyard.resources.kinds import lint
    from shipyard.resources.loader import load_documents
    from shipyard.resources.rollouts import Argument, TemplateRef
    from shipyard.resources.validate import Issues

    templates: dict[str, AnalysisTemplateSpec] = {}
    problems = Issues()
    for doc in load_documents(list(files)):
        if doc.kind in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            # the same checks as `shipyard lint` (types, unknown fields/providers, durations, conditions that
            # do not parse), all reported with file:line before anything is measured
            issues = Issues(doc)
            lint(doc, issues)
            problems.extend(issues.items)
            if not issues.items:
                templates[doc.name or ""] = AnalysisTemplateSpec.model_validate((doc.data or {}).get("spec") or {})
    problems.raise_if_any()
    if not templates:
        raise SpecError("no AnalysisTemplate in the files", file=str(files[0]) if files else None)

    def lookup(ref: TemplateRef) -> AnalysisTemplateSpec:
        if ref.template_name not in templates:
            raise SpecError(f'AnalysisTemplate "{ref.template_name}" is not in the files')
        return templates[ref.template_name]

    flat = flatten([TemplateRef(template_name=n) for n in templates], lookup)
    given = []
    for a in args:
        k, sep, v = a.partition("=")
        if not sep:
            raise ShipyardError(f"--arg {a!r}: expected k=v")
        given.append(Argument(name=k, value=v))
    merged = merge_args(flat.args, given)
    return AnalysisRunSpec(
        metrics=flat.metrics, args=merged, dry_run=flat.dry_run, measurement_retention=flat.measurement_retention
    )


@app.command("run")
def run(
    files: FileOpt,
    arg: ArgOpt = [],  # noqa: B006 - typer reads the default
    output: Annotated[str | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Run the templates now, printing each measurement as it happens; exit 1 unless Successful."""
    from shipyard.delivery.analysis.run import reconcile_run
    from shipyard.metrics import providers

    spec = _spec(files, arg)
    p = providers()
    status: dict[str, Any] | None = None
    while True:
        now = time.time()
        out = reconcile_run(spec, status, now=now, measure=lambda m: p[_key(m)].measure(m, now=time.time()))
        status = out.status
        for name, meas in out.new_measurements:
            if not output:
                console.print(
                    f"{meas['startedAt']}  {name}: {meas.get('value', meas.get('message', ''))} → {meas['phase']}",
                    markup=False,
                    soft_wrap=True,
                )
        if out.next_at is None:
            break
        time.sleep(max(0.0, out.next_at - time.time()))
    if output:
        emit(status, output)
    else:
        console.print(
            f"{status['phase']}" + (f": {status['message']}" if status.get("message") else ""),
            markup=False,
            soft_wrap=True,
        )
    if status["phase"] != "Successful":
        raise typer.Exit(1)


def _key(metric: Any) -> str:
    from shipyard.delivery.providers.base import provider_key

    return provider_key(metric.provider)


@app.command("replay")
def replay(
    files: FileOpt,
    from_: Annotated[str, typer.Option("--from", help="RFC 3339 or epoch seconds")],
    to: Annotated[str, typer.Option("--to", help="RFC 3339 or epoch seconds")],
    arg: ArgOpt = [],  # noqa: B006
    output: Annotated[str | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Evaluate the templates against Prometheus' history, stepping by each metric's interval."""
    from shipyard.cli.analysis_replay import replay_history

    report = replay_history(_spec(files, arg), from_, to)
    if output:
        emit(report, output)
        return
    for m in report["measurements"]:
        console.print(f"{m['time']}  {m['metric']}: {m['value']} → {m['phase']}", markup=False, soft_wrap=True)
    verdict = report["phase"] + (f" at {report['decidedAt']}: {report['message']}" if report.get("decidedAt") else "")
    console.print(verdict, markup=False, soft_wrap=True)
