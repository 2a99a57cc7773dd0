"""SBOMs kept with the image they describe, for the signing step to attest (``cosign attest --predicate``).

    <home>/sboms/sha256/<manifest hex>/spdx-json.json
    <home>/sboms/sha256/<manifest hex>/cyclonedx-json.json

Written atomically; keyed by the image manifest digest, so a tag moving never mixes documents up.
"""

from __future__ import annotations

import re
from pathlib import Path

from shipyard.errors import NotFoundError, SpecError
from shipyard.store.files import atomic_write_text

FORMATS = ("spdx-json", "cyclonedx-json")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class SbomStore:
    def __init__(self, home: str | Path) -> None:
        self.root = Path(home) / "sboms"

    def _path(self, digest: str, fmt: str) -> Path:
        if not _DIGEST.match(digest):
            raise SpecError(f"not an image manifest digest: {digest!r}", path="digest")
        if fmt not in FORMATS:
            raise SpecError(f"unknown SBOM format {fmt!r}; use one of {', '.join(FORMATS)}", path="format")
        return self.root / "sha256" / digest.removeprefix("sha256:") / f"{fmt}.json"

    def put(self, digest: str, fmt: str, document: str) -> Path:
        path = self._path(digest, fmt)
        atomic_write_text(path, document)
        return path

    def get(self, digest: str, fmt: str) -> Path:
        path = self._path(digest, fmt)
        if not path.is_file():
            raise NotFoundError(f"no {fmt} SBOM kept for {digest}; run `shipyard sbom` on the image first")
        return path

    def formats(self, digest: str) -> list[str]:
        return [f for f in FORMATS if self._path(digest, f).is_file()]
