"""``shipyard demo``: the main job, on embedded defaults (``make demo``)."""

from __future__ import annotations

import typer

from shipyard.cli.output import console
from shipyard.cli.pipeline_view import state_home


def demo_command() -> None:
    """Run the whole flow on this machine: a signed push → the CI pipeline → signed image → staging → production."""
    from shipyard.demo.run import run_demo

    result = run_demo(state_home(), console)
    if not result.ok:
        raise typer.Exit(1)
