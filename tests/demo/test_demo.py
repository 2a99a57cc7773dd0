"""`make demo` end to end: a forged push runs nothing, a signed push runs the seed-shaped pipeline to success."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from shipyard.demo.run import run_demo
from shipyard.demo.stages import DemoContext, pipeline

pytestmark = pytest.mark.slow


def test_demo_runs_the_pipeline_from_a_signed_push(shipyard_home: Path) -> None:
    out = io.StringIO()
    result = run_demo(shipyard_home, Console(file=out, width=200))
    text = out.getvalue()
    assert result.ok, text
    assert result.refused_status == 202 and result.accepted_status == 202
    assert "runs created: 0" in text and "payload signature check failed" in text
    tasks = [c["pipelineTaskName"] for c in result.run["status"]["childReferences"]]
    assert tasks[0] == "clone" and {"lint", "test"} <= set(tasks)


def test_pipeline_keeps_only_stages_whose_needs_are_met() -> None:
    names = [t["name"] for t in pipeline(DemoContext(capabilities=frozenset({"source"})))["spec"]["tasks"]]
    assert names[:3] == ["clone", "lint", "test"]
