"""What a promotion writes: the overlay edit, the commit message, the PR branch name — pure functions.

Message shape (the seed's CI): ``chore(ENV): update S to TAG``, then ``Source: <run url>`` and
``Image: <ref>@<digest>``, then a ``Source-Commit: <sha>`` git trailer (DORA lead time joins on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.errors import SpecError
from shipyard.gitops.edit import set_image_text
from shipyard.gitops.kustomize.images import parse_set_image_arg

_OVERLAY = re.compile(r"(?:^|/)services/(?P<svc>[^/]+)/overlays/(?P<env>[^/]+)/?$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Userinfo runs to the last "@" before the host: a password may itself contain "@".
_CRED = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s]*@")


@dataclass(frozen=True, slots=True)
class Promotion:
    path: str  # overlay directory inside the repo, e.g. services/order-service/overlays/staging
    image: str  # kustomize edit set image argument: NAME=NEWNAME:TAG@DIGEST
    service: str
    env: str
    source_url: str = ""
    source_commit: str = ""

    @property
    def tag(self) -> str:
        img = parse_set_image_arg(self.image)
        return img.new_tag or (img.digest.split(":", 1)[-1][:12] if img.digest else "latest")

    @property
    def image_ref(self) -> str:
        img = parse_set_image_arg(self.image)
        name = img.new_name or img.name
        out = name + (f":{img.new_tag}" if img.new_tag else "")
        return out + (f"@{img.digest}" if img.digest else "")

    @property
    def branch(self) -> str:
        """The PR branch: ``promote/<S>/<ENV>/<TAG>``."""
        return f"promote/{_SAFE.sub('-', self.service)}/{_SAFE.sub('-', self.env)}/{_SAFE.sub('-', self.tag)}"

    def message(self) -> str:
        lines = [f"chore({self.env}): update {self.service} to {self.tag}", ""]
        if self.source_url:
            # Credentials never reach a commit message, even when a run URL carries them.
            lines.append(f"Source: {_CRED.sub(lambda m: m.group(1), self.source_url)}")
        lines.append(f"Image: {self.image_ref}")
        if self.source_commit:
            lines += ["", f"Source-Commit: {self.source_commit}"]
        return "\n".join(lines) + "\n"

    def kustomization_file(self, name: str = "kustomization.yaml") -> str:
        return f"{self.path.rstrip('/')}/{name}"

    def apply(self, text: str) -> str:
        """The overlay's kustomization after the edit (equal to ``text`` when already promoted)."""
        return set_image_text(text, self.image, file=self.kustomization_file())


def make_promotion(
    path: str, image: str, *, service: str = "", env: str = "", source_url: str = "", source_commit: str = ""
) -> Promotion:
    """Derive service and environment from a ``services/S/overlays/ENV`` path unless given."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith("/") or ".." in parts or not path.strip("/") or ".git" in parts:
        # The path is joined to a working clone and written to: it must stay inside the repository.
        raise SpecError(f"promotion path {path!r} must be a relative directory inside the repository", path="path")
    path = path.strip("/")
    m = _OVERLAY.search(path)
    svc = service or (m.group("svc") if m else "")
    environment = env or (m.group("env") if m else path.rsplit("/", 1)[-1])
    if not svc:
        raise SpecError(f"cannot tell the service from path {path!r}; pass the service name", path="path")
    if "\n" in source_url or "\n" in source_commit:
        raise SpecError("source URL and commit must be single lines")
    if source_commit and not re.fullmatch(r"[0-9a-fA-F]{7,64}", source_commit):
        raise SpecError(f"source commit {source_commit!r} is not a hex SHA", path="sourceCommit")
    parse_set_image_arg(image)  # validate early
    # Stored with the request and printed by `gitops requests`: credentials are dropped here, once.
    source_url = _CRED.sub(lambda m: m.group(1), source_url)
    return Promotion(path, image, svc, environment, source_url, source_commit)
