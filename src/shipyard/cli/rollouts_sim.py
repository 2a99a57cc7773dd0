"""``shipyard rollouts simulate``: load the files and the scenario, run, and print a readable timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shipyard.cli.output import console
from shipyard.errors import FieldIssue, SpecErrors


def run_simulation(files: list[Path], scenario: Path) -> dict[str, Any]:
    from shipyard.controllers.simulate import Scenario, simulate
    from shipyard.resources.loader import load_documents, load_file

    docs = load_documents(list(files))
    sdocs = load_file(scenario)
    if len(sdocs) != 1:
        raise SpecErrors([FieldIssue("a scenario file holds exactly one YAML document", file=str(scenario))])
    try:
        parsed = Scenario.model_validate(sdocs[0].data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            path = tuple(p for p in err["loc"] if isinstance(p, str | int))
            dotted = ".".join(str(p) for p in path)
            msg = (
                "required field is missing"
                if err["type"] == "missing"
                else (f'unknown field "{path[-1]}"' if err["type"] == "extra_forbidden" else err["msg"])
            )
            issues.append(FieldIssue(msg, file=str(scenario), line=sdocs[0].line_of(path), path=dotted))
        raise SpecErrors(issues) from exc
    return simulate(docs, parsed)


def print_timeline(report: dict[str, Any]) -> None:
    rows: list[tuple[int, int, str]] = []
    for i, e in enumerate(report["events"]):
        rows.append((e["t"], i, f"{e['reason']:<22} {e['message']}"))
    for i, w in enumerate(report["weights"]):
        rows.append((w["t"], 10_000 + i, f"{'weight':<22} canary {w['canary']} / stable {w['stable']}"))
    for run in report["analysisRuns"]:
        for m in run["metrics"]:
            for j, meas in enumerate(m["measurements"]):
                rows.append(
                    (
                        meas["t"],
                        20_000 + j,
                        f"{'measurement':<22} {run['name']} {m['name']} = {meas['value']} → {meas['phase']}",
                    )
                )
    for t, _, text in sorted(rows):
        console.print(f"t={t:>6}s  {text}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"\nresult: {report['phase']}" + (f" - {report['message']}" if report["message"] else ""),
        markup=False,
        soft_wrap=True,
    )
    for rs in report["replicaSets"]:
        console.print(
            f"  revision {rs['revision']}: {rs['replicas']} replicas, {rs['available']} available",
            markup=False,
            soft_wrap=True,
        )
