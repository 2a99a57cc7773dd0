"""How people see pipeline runs: the live progress lines, the ``list`` table and the ``describe`` tree.

The rows are plain data built from Tekton-shaped objects (the same ones ``-o json`` prints), so the dashboard can
render the same view-model.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from shipyard.cli.output import err_console

STYLE = {"True": "green", "False": "red", "Unknown": "yellow"}


def state_home() -> Path:
    return Path(os.environ.get("SHIPYARD_HOME") or Path.cwd() / ".shipyard")


def _cond(obj: dict[str, Any]) -> dict[str, str]:
    conds = (obj.get("status") or {}).get("conditions") or [{}]
    first: dict[str, str] = conds[0]
    return first


def _ts(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") if text else None


def duration(obj: dict[str, Any]) -> str:
    st = obj.get("status") or {}
    a, b = _ts(st.get("startTime")), _ts(st.get("completionTime"))
    if a is None or b is None:
        return "---"
    secs = int((b - a).total_seconds())
    return f"{secs // 60}m{secs % 60:02d}s" if secs >= 60 else f"{secs}s"


def succeeded(obj: dict[str, Any]) -> bool:
    return _cond(obj).get("status") == "True"


def list_table(items: list[dict[str, Any]]) -> Table:
    table = Table(box=None, header_style="bold")
    for col in ("NAME", "KIND", "STARTED", "DURATION", "STATUS"):
        table.add_column(col)
    for obj in items:
        c = _cond(obj)
        table.add_row(
            obj["metadata"]["name"],
            obj.get("kind", ""),
            (obj.get("status") or {}).get("startTime", "---"),
            duration(obj),
            Text(c.get("reason", "Unknown"), style=STYLE.get(c.get("status", "Unknown"), "")),
        )
    return table


def describe_tree(obj: dict[str, Any], taskruns: list[dict[str, Any]]) -> Tree:
    c = _cond(obj)
    head = Text.assemble(
        (obj["metadata"]["name"], "bold"),
        f"  {obj.get('kind', '')}  ",
        (c.get("reason", "Unknown"), STYLE.get(c.get("status", "Unknown"), "")),
        f"  {duration(obj)}",
    )
    tree = Tree(head)
    if c.get("message"):
        tree.add(Text(c["message"], style="dim"))
    status = obj.get("status") or {}
    for tr in taskruns:
        tc = _cond(tr)
        label = (tr.get("metadata", {}).get("labels") or {}).get("tekton.dev/pipelineTask") or tr["metadata"]["name"]
        node = tree.add(
            Text.assemble(
                (label, "bold"),
                f"  {tr['metadata']['name']}  ",
                (tc.get("reason", "Unknown"), STYLE.get(tc.get("status", "Unknown"), "")),
                f"  {duration(tr)}",
            )
        )
        trs = tr.get("status") or {}
        if tc.get("status") == "False" and tc.get("message"):
            node.add(Text(tc["message"], style="red"))
        for retry in trs.get("retriesStatus") or []:
            rc = _cond({"status": retry})
            node.add(Text(f"retry: {rc.get('reason')} {rc.get('message', '')}", style="yellow"))
        for step in trs.get("steps") or []:
            term = step.get("terminated") or {}
            node.add(
                Text(
                    f"step {step['name']}: {step.get('terminationReason', '')} (exit {term.get('exitCode', '?')})",
                    style="dim",
                )
            )
        for r in trs.get("results") or []:
            node.add(Text(f"result {r['name']} = {r['value']!r}", style="cyan"))
    for skip in status.get("skippedTasks") or []:
        tree.add(Text.assemble((skip["name"], "bold"), "  skipped: ", (skip["reason"], "yellow")))
    if obj.get("kind") == "PipelineRun":  # a TaskRun's results are already shown under its node
        for r in status.get("results") or []:
            tree.add(Text(f"pipeline result {r['name']} = {r['value']!r}", style="cyan"))
    return tree


class Progress:
    """Live lines on stderr: ``[task/step] output`` and one line per task event."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.lock = threading.Lock()

    def log(self, run: str, task: str, step: str, line: str) -> None:
        if self.quiet:
            return
        with self.lock:
            err_console.print(Text.assemble((f"[{task}/{step}] ", "cyan"), line), soft_wrap=True, highlight=False)

    def event(self, run: str, event: str, data: dict[str, Any]) -> None:
        if self.quiet:
            return
        text: Text | None = None
        if event == "started":
            retry = f" (retry {data['attempt']})" if data.get("attempt") else ""
            text = Text(f"▶ {data['task']} started{retry}", style="bold")
        elif event == "finished":
            ok = data["state"] == "succeeded"
            text = Text(f"{'✔' if ok else '✘'} {data['task']} {data['reason']}", style="green" if ok else "red")
            if not ok and data.get("message"):
                text.append(f": {data['message']}")
        elif event == "skipped":
            text = Text(f"⏭ {data['task']} skipped: {data['reason']}", style="yellow")
        elif event == "retry":
            text = Text(f"↻ {data['task']} failed, retrying", style="yellow")
        elif event in ("note", "resumed", "cancelling"):
            text = Text(f"• {run}: {data.get('message') or event}", style="dim")
        elif event == "done":
            c = data["condition"]
            text = Text(
                f"■ {run}: {c.get('reason')} - {c.get('message', '')}", style=STYLE.get(c.get("status", ""), "")
            )
        if text is not None:
            with self.lock:
                err_console.print(text, soft_wrap=True, highlight=False)
