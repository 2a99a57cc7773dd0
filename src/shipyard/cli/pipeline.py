"""``shipyard pipeline run -f FILE``: run the PipelineRuns/TaskRuns of a file, live, and print their final objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.output import OutputFormat, console, emit
from shipyard.cli.pipeline_view import Progress, describe_tree, state_home, succeeded
from shipyard.errors import SpecError, SpecErrors
from shipyard.pipelines.substitution import Value
from shipyard.pipelines.validation import check
from shipyard.resources.loader import load_documents
from shipyard.resources.validate import Issues

app = typer.Typer(name="pipeline", help="Run Tekton PipelineRuns and TaskRuns locally.", no_args_is_help=True)

RUN_KINDS = ("PipelineRun", "TaskRun")


def parse_pairs(items: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SpecError(f"{what} must be NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def parse_params(items: list[str]) -> dict[str, Value]:
    """``-p name=value``; a JSON list or object value (``-p 'envs=["a","b"]'``) gives an array or object param."""
    out: dict[str, Value] = {}
    for name, value in parse_pairs(items, "-p").items():
        parsed: Any = value
        if value[:1] in ("[", "{"):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise SpecError(f"-p {name}: not valid JSON ({exc.msg}); quote it as a plain string") from exc
        out[name] = parsed
    return out


@app.command("run")
def run_command(
    filename: Annotated[Path, typer.Option("-f", "--filename", help="YAML file with PipelineRun/TaskRun documents")],
    resources: Annotated[
        list[Path] | None,
        typer.Option("--resources", help="directory or file of Tasks, Pipelines, ConfigMaps, Secrets"),
    ] = None,
    workspace: Annotated[
        list[str] | None, typer.Option("-w", "--workspace", help="bind a workspace to a host directory: NAME=DIR")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override a run param: NAME=VALUE")] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, help="TaskRuns running at once")] = 4,
    output: Annotated[
        OutputFormat | None, typer.Option("-o", "--output", help="print the final objects as json or yaml")
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="no live output")] = False,
) -> None:
    """Run every PipelineRun and TaskRun in FILE; exit 0 only when every run succeeded."""
    from prometheus_client import CollectorRegistry

    from shipyard.controllers.pipelines import PipelineService

    docs = load_documents([filename])
    extra = load_documents(list(resources or []))
    malformed = [d for d in docs if not isinstance(d.data, dict) or not isinstance(d.kind, str) or not d.kind]
    if malformed:
        problems = []
        for d in malformed:
            issues = Issues(d)
            check(d, issues)
            problems.extend(issues.items)
        raise SpecErrors(problems)
    runs = [d for d in docs if d.kind in RUN_KINDS]
    if not runs:
        kinds = sorted({str(d.kind) for d in docs})
        raise SpecError(
            f"no PipelineRun or TaskRun in the file (found: {', '.join(kinds) or 'nothing'})", file=str(filename)
        )
    others = [d for d in docs if d.kind not in RUN_KINDS] + extra
    workspaces = parse_pairs(list(workspace or []), "-w")
    for name, directory in workspaces.items():
        if not Path(directory).is_dir():
            raise SpecError(f"-w {name}: {directory} is not a directory")
    params = parse_params(list(param or []))
    progress = Progress(quiet=quiet)
    svc = PipelineService(
        state_home(), registry=CollectorRegistry(), parallel=parallel, on_log=progress.log, on_event=progress.event
    )
    results: list[dict[str, Any]] = []
    try:
        for doc in runs:
            results.append(svc.run(doc, others, workspaces=workspaces, params=params))
    finally:
        svc.close()
    if output is not None:
        emit(results[0] if len(results) == 1 else results, output)
    else:
        for obj in results:
            name = obj["metadata"]["name"]
            console.print(describe_tree(obj, svc.taskruns(name) if obj.get("kind") == "PipelineRun" else [obj]))
    if not all(succeeded(o) for o in results):
        raise typer.Exit(1)
