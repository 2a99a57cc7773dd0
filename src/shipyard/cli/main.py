"""``shipyard <noun> <verb>``: the root command and its one exit point."""

from __future__ import annotations

import sys

import typer

from shipyard import __version__
from shipyard.cli.demo import demo_command
from shipyard.cli.lint import lint_command
from shipyard.cli.output import err_console
from shipyard.errors import ShipyardError, SpecError

app = typer.Typer(
    name="shipyard",
    help="Commit-to-production delivery on one machine: CI pipelines, OCI supply chain, GitOps, progressive delivery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("lint")(lint_command)
app.command("demo")(demo_command)


@app.command("version")
def version() -> None:
    """Print shipyard's version."""
    typer.echo(__version__)


# Each noun's commands live in their own module; add_typer lines are kept sorted.
_NOUNS: list[tuple[str, str]] = [
    ("shipyard.cli.analysis", "app"),
    ("shipyard.cli.db", "app"),
    ("shipyard.cli.gitops", "app"),
    ("shipyard.cli.image", "app"),
    ("shipyard.cli.pipeline", "app"),
    ("shipyard.cli.pipelinerun", "app"),
    ("shipyard.cli.policy", "app"),
    ("shipyard.cli.registry", "app"),
    ("shipyard.cli.rollouts", "app"),
    ("shipyard.cli.sbom", "app"),
    ("shipyard.cli.scan", "app"),
    ("shipyard.cli.sign", "app"),
    ("shipyard.cli.triggers", "app"),
]


def _register() -> None:
    import importlib

    for module, attr in _NOUNS:
        mod = importlib.import_module(module)
        sub: typer.Typer = getattr(mod, attr)
        app.add_typer(sub)


_register()


def main() -> None:
    """Console entry point: the only place that turns errors into exit codes.

    click (standalone mode) prints usage errors and exits 2, and exits with a command's ``typer.Exit`` code;
    shipyard's own errors are printed here, without a traceback, and exit 1."""
    try:
        app()
    except ShipyardError as exc:
        if isinstance(exc, SpecError):
            for issue in exc.issues:
                err_console.print(f"[red]error[/red] {issue}", markup=True, soft_wrap=True, highlight=False)
        else:
            err_console.print(f"[red]error:[/red] {exc.diagnostics()}", soft_wrap=True, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
