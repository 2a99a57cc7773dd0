"""Every command's --help renders (rich markup in help texts has crashed it before)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from shipyard.cli.main import app


def _paths(cmd: click.Command, path: list[str]) -> Iterator[list[str]]:
    yield path
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _paths(sub, [*path, name])


PATHS = list(_paths(get_command(app), []))


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "shipyard" for p in PATHS])
def test_help_renders(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
