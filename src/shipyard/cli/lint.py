"""``shipyard lint -f FILE...``: every problem in every document, at once, with file:line and field path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import console, err_console
from shipyard.errors import FieldIssue, SpecError
from shipyard.resources.kinds import lint
from shipyard.resources.loader import load_documents
from shipyard.resources.validate import Issues


def lint_command(
    files: Annotated[list[Path], typer.Option("-f", "--filename", help="YAML file or directory (repeatable)")],
) -> None:
    """Validate resources (Tekton, Argo, Flagger, Kyverno, kustomize) and print every error."""
    problems: list[FieldIssue] = []
    count = 0
    for f in files:
        try:
            docs = load_documents([f])
        except SpecError as exc:
            problems.extend(exc.issues)
            continue
        for doc in docs:
            issues = Issues(doc)
            lint(doc, issues)
            problems.extend(issues.items)
            count += 1
    if problems:
        for issue in problems:
            err_console.print(str(issue), markup=False, soft_wrap=True)
        err_console.print(f"{len(problems)} error{'s' if len(problems) != 1 else ''}", markup=False)
        raise typer.Exit(1)
    console.print(f"{count} resource{'s' if count != 1 else ''} OK", markup=False)
