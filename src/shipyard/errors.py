"""The one error tree of shipyard.

    ShipyardError                 root; every error that crosses a package boundary is one of these
    ├── SpecError                 the user's YAML/JSON: carries file, line and field path (see FieldIssue)
    │   └── SpecErrors            several SpecErrors collected at once (validation reports all of them)
    ├── NotFoundError             a named thing (resource, run, image, app) does not exist
    ├── ConflictError             optimistic concurrency lost, or the thing already exists
    ├── ExecutionError            a step, a process or a container could not be run
    ├── RegistryError             an OCI registry answered badly or not at all
    │   └── DigestMismatchError   content did not hash to the digest it was fetched by
    ├── VerificationError         a signature, certificate, attestation or policy check failed
    ├── ProviderError             a metric provider (Prometheus, web, job) failed
    ├── GitError                  a git operation failed
    ├── StoreError                the state store is unusable (corrupt, wrong schema)
    └── UnsupportedError          a field, flag or feature that shipyard knowingly does not implement

Third-party exceptions never cross an adapter: adapters translate them into one of these, keeping the
original as ``__cause__``. Messages say what was wrong, where, and what to do next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ShipyardError(Exception):
    """Root of every error shipyard raises on purpose."""

    def diagnostics(self) -> str:
        """A human-readable explanation, for the CLI to print."""
        return str(self)


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem in a user's document: where it is and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = " ".join(p for p in (where, self.path) if p)
        return f"{head}: {self.message}" if head else self.message


class SpecError(ShipyardError):
    """A problem in the user's input document, with its location when known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, path: str = "") -> None:
        self.issue = FieldIssue(message=message, file=file, line=line, path=path)
        super().__init__(str(self.issue))

    @property
    def issues(self) -> Sequence[FieldIssue]:
        return (self.issue,)


class SpecErrors(SpecError):
    """Several problems found in one pass; validation collects all of them before raising."""

    def __init__(self, issues: Iterable[FieldIssue]) -> None:
        self._issues = tuple(issues)
        if not self._issues:
            raise ValueError("SpecErrors needs at least one issue")
        first = self._issues[0]
        super().__init__(first.message, file=first.file, line=first.line, path=first.path)
        self.args = ("\n".join(str(i) for i in self._issues),)

    @property
    def issues(self) -> Sequence[FieldIssue]:
        return self._issues

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self._issues)


class NotFoundError(ShipyardError):
    """A named object does not exist."""


class ConflictError(ShipyardError):
    """Optimistic concurrency was lost, or the object already exists."""


class ExecutionError(ShipyardError):
    """A step, process or container could not be run."""


class RegistryError(ShipyardError):
    """An OCI registry answered with an error or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DigestMismatchError(RegistryError):
    """Content did not hash to the digest it was addressed by; nothing was stored."""


class VerificationError(ShipyardError):
    """A signature, certificate, attestation or policy check failed."""


class ProviderError(ShipyardError):
    """A metric provider could not produce a measurement."""


class GitError(ShipyardError):
    """A git command failed."""


class StoreError(ShipyardError):
    """The state store cannot be used."""


class UnsupportedError(ShipyardError):
    """A field, flag or feature that shipyard knowingly does not implement."""
