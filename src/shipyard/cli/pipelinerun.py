"""``shipyard pipelinerun list|describe|logs|cancel|resume``: the runs kept under ``$SHIPYARD_HOME``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from shipyard.cli.output import OutputFormat, console, emit
from shipyard.cli.pipeline_view import Progress, describe_tree, list_table, state_home, succeeded

app = typer.Typer(name="pipelinerun", help="Inspect, follow, cancel and resume pipeline runs.", no_args_is_help=True)

Output = Annotated[OutputFormat | None, typer.Option("-o", "--output", help="json or yaml")]


def _service(progress: Progress | None = None):  # type: ignore[no-untyped-def]
    from shipyard.controllers.pipelines import PipelineService

    if progress is None:
        return PipelineService(state_home(), parallel=1)
    return PipelineService(state_home(), parallel=4, on_log=progress.log, on_event=progress.event)


@app.command("list")
def list_command(output: Output = None) -> None:
    """Every PipelineRun and TaskRun, oldest first; an interrupted one shows reason Interrupted."""
    items = _service().list()
    if output is not None:
        emit({"items": items}, output)
        return
    if not items:
        console.print("No runs found")
        return
    console.print(list_table(items))


@app.command("describe")
def describe_command(name: str, output: Output = None) -> None:
    """A run as a tree: tasks with status, duration, steps, results, skip reasons."""
    svc = _service()
    obj = svc.get(name)
    taskruns = svc.taskruns(name) if obj.get("kind") == "PipelineRun" else [obj]
    if output is not None:
        emit(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [obj, *taskruns] if obj.get("kind") == "PipelineRun" else [obj],
            },
            output,
        )
        return
    console.print(describe_tree(obj, taskruns if obj.get("kind") == "PipelineRun" else [obj]))


@app.command("logs")
def logs_command(
    name: str,
    follow: Annotated[bool, typer.Option("-f", "--follow", help="keep printing until the run ends")] = False,
    task: Annotated[str | None, typer.Option("--task", "-t", help="only this pipeline task")] = None,
) -> None:
    """Stored step logs, each line prefixed ``[task/step]`` (Secret values are already masked)."""
    svc = _service()
    for label, step, line in svc.logs(name, task=task, follow=follow):
        console.print(Text.assemble((f"[{label}/{step}] ", "cyan"), line), soft_wrap=True, highlight=False)


@app.command("cancel")
def cancel_command(name: str, output: Output = None) -> None:
    """Cancel a run: running TaskRuns are stopped, nothing new starts, finally does not run."""
    obj = _service().cancel(name)
    if output is not None:
        emit(obj, output)
        return
    console.print(
        f'PipelineRun "{name}" cancel requested'
        if obj.get("kind") == "PipelineRun"
        else f'TaskRun "{name}" cancel requested'
    )


@app.command("resume")
def resume_command(
    name: str,
    output: Output = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
) -> None:
    """Continue an interrupted run from its last finished TaskRun; exit 0 when it ends Succeeded."""
    progress = Progress(quiet=quiet)
    svc = _service(progress)
    try:
        svc.resume(name)
        obj = svc.wait(name)
    finally:
        svc.close()
    if output is not None:
        emit(obj, output)
    else:
        console.print(describe_tree(obj, svc.taskruns(name) if obj.get("kind") == "PipelineRun" else [obj]))
    if not succeeded(obj):
        raise typer.Exit(1)
