"""Promotion: edit an overlay in the GitOps repo, commit with the seed's message, push — and when the remote
moved, fetch, re-apply the edit to the new tip and push again with backoff, up to a limit.

``--pr`` pushes ``promote/<S>/<ENV>/<TAG>`` and records a promotion request; ``approve(id)`` merges it
(fast-forward when possible, else a merge commit; on a merge conflict the edit is re-applied to the tip).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shipyard.clock import Clock, SystemClock
from shipyard.errors import GitError, NotFoundError, SpecError
from shipyard.gitops.edit import PolicyRef, apply_setters
from shipyard.gitops.imagepolicy import TagLister, select_tag
from shipyard.gitops.kustomize import find_kustomization
from shipyard.gitops.promotion import Promotion, make_promotion
from shipyard.store.db import Database, Migration
from shipyard.vcs.git import GitCache, Identity, PushRejected, Workspace, redact

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE promotion_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            repo TEXT NOT NULL,
            base TEXT NOT NULL,
            branch TEXT NOT NULL,
            path TEXT NOT NULL,
            image TEXT NOT NULL,
            service TEXT NOT NULL,
            env TEXT NOT NULL,
            source_url TEXT NOT NULL DEFAULT '',
            source_commit TEXT NOT NULL DEFAULT '',
            head TEXT NOT NULL,
            status TEXT NOT NULL,
            merged_sha TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL
        );
        """,
    )
]


@dataclass(frozen=True, slots=True)
class PromotionResult:
    status: str  # committed | unchanged | requested | merged
    commit: str
    attempts: int
    branch: str
    request_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Promoter:
    def __init__(
        self,
        cache_dir: Path,
        db: Database | None = None,
        *,
        clock: Clock | None = None,
        max_attempts: int = 40,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        seed: int | None = None,
    ) -> None:
        self.cache = GitCache(cache_dir)
        self.db = db
        if db is not None:
            db.migrate("promotions", MIGRATIONS)
        self.clock = clock or SystemClock()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._rng = random.Random(seed)

    def _workspace(self, url: str, branch: str) -> Workspace:
        ws = self.cache.workspace(url, branch)
        if not ws.git.run("config", "--get", "user.email", check=False).stdout.strip():
            ws.git.identity = Identity()
        return ws

    def _sleep(self, attempt: int) -> None:
        # Full jitter exponential backoff, so 20 writers racing for one branch spread out.
        cap = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        self.clock.sleep(self._rng.uniform(0, cap))

    def _kustomization(self, ws: Workspace, p: Promotion) -> str:
        """The overlay's kustomization file (any of the names kustomize accepts), relative to the clone."""
        root = ws.path.resolve()
        directory = (root / p.path).resolve()
        if directory != root and root not in directory.parents:
            raise SpecError(f"promotion path {p.path!r} leaves the repository (a symlink?)", path="path")
        kfile = find_kustomization(directory)
        if kfile is None:
            raise SpecError(f"no kustomization.yaml in {p.path} of {redact(ws.url)}", file=p.kustomization_file())
        return p.kustomization_file(kfile.name)

    def _edit(self, ws: Workspace, p: Promotion) -> list[str]:
        """The files changed by the edit (none when the overlay already has the image)."""
        rel = self._kustomization(ws, p)
        f = ws.path / rel
        text = f.read_text(encoding="utf-8")
        new = p.apply(text)
        if new == text:
            return []
        f.write_text(new, encoding="utf-8")
        return [rel]

    def promote(self, repo: str, p: Promotion, *, branch: str = "main", pr: bool = False) -> PromotionResult:
        """Commit the promotion to ``branch`` (or, with ``pr``, to its promotion branch plus a request)."""
        ws = self._workspace(repo, branch)
        try:
            if pr:
                return self._request(ws, repo, branch, p)
            return self._commit_with_retry(ws, branch, lambda: self._edit(ws, p), p.message())
        finally:
            ws.close()

    def _commit_with_retry(
        self, ws: Workspace, branch: str, edit: Callable[[], list[str]], message: str
    ) -> PromotionResult:
        """Edit, commit, push; when the branch moved: sync to the new tip, edit again, retry with backoff."""
        for attempt in range(1, self.max_attempts + 1):
            tip = ws.sync() if attempt > 1 else ws.head()
            changed = edit()
            if not changed:
                return PromotionResult("unchanged", tip, attempt, branch)
            sha = ws.commit_all(changed, message)
            try:
                ws.push(f"HEAD:refs/heads/{branch}")
            except PushRejected:
                if attempt == self.max_attempts:
                    raise
                self._sleep(attempt)
                continue
            return PromotionResult("committed", sha, attempt, branch)
        raise GitError(f"gave up after {self.max_attempts} attempts")

    def update_setters(
        self, repo: str, path: str, policies: Mapping[str, PolicyRef], *, branch: str = "main",
        message: str = "Update from image update automation",
    ) -> PromotionResult:  # fmt: skip
        """Flux ImageUpdateAutomation (Setters strategy): rewrite every ``$imagepolicy``-marked value under
        ``path`` to its policy's latest ref; only files that change are written."""

        def edit() -> list[str]:
            changed: list[str] = []
            repo_root = ws.path.resolve()
            root = (repo_root / path).resolve()
            if root != repo_root and repo_root not in root.parents:
                raise SpecError(f"update path {path!r} leaves the repository", path="spec.update.path")
            if not root.is_dir():
                raise SpecError(f"update path {path!r} not found in {redact(ws.url)}", path="spec.update.path")
            for f in sorted(root.rglob("*")):
                if (
                    f.suffix not in (".yaml", ".yml")
                    or not f.is_file()
                    or f.is_symlink()
                    or ".git" in f.relative_to(repo_root).parts
                ):
                    # A symlink could point anywhere; the automation only rewrites the repository's own files.
                    continue
                text = f.read_text(encoding="utf-8")
                new = apply_setters(text, policies)
                if new != text:
                    f.write_text(new, encoding="utf-8")
                    changed.append(str(f.relative_to(repo_root)))
            return changed

        ws = self._workspace(repo, branch)
        try:
            return self._commit_with_retry(ws, branch, edit, message if message.endswith("\n") else message + "\n")
        finally:
            ws.close()

    def _request(self, ws: Workspace, repo: str, base: str, p: Promotion) -> PromotionResult:
        if self.db is None:
            raise GitError("promotion requests need a state database")
        existing = self.db.query(
            "SELECT id, head FROM promotion_requests WHERE repo=? AND branch=? AND status='open'", (repo, p.branch)
        )
        if existing:
            return PromotionResult("requested", existing[0]["head"], 1, p.branch, int(existing[0]["id"]))
        changed = self._edit(ws, p)
        if not changed:
            return PromotionResult("unchanged", ws.head(), 1, base)
        sha = ws.commit_all(changed, p.message())
        # The promotion branch belongs to this request alone, so replacing a stale one is safe.
        ws.push(f"+HEAD:refs/heads/{p.branch}")
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO promotion_requests(repo, base, branch, path, image, service, env, source_url,"
                " source_commit, head, status, created) VALUES (?,?,?,?,?,?,?,?,?,?,'open',?)",
                (repo, base, p.branch, p.path, p.image, p.service, p.env, p.source_url, p.source_commit, sha,
                 self.clock.now()),
            )  # fmt: skip
            rid = int(cur.lastrowid or 0)
        return PromotionResult("requested", sha, 1, p.branch, rid)

    def requests(self, status: str | None = None) -> list[dict[str, Any]]:
        if self.db is None:
            return []
        sql = "SELECT * FROM promotion_requests" + (" WHERE status=?" if status else "") + " ORDER BY id"
        return [dict(r) for r in self.db.query(sql, (status,) if status else ())]

    def approve(self, request_id: int) -> PromotionResult:
        """Merge an open promotion request into its base branch."""
        if self.db is None:
            raise GitError("promotion requests need a state database")
        rows = self.db.query("SELECT * FROM promotion_requests WHERE id=?", (request_id,))
        if not rows:
            raise NotFoundError(f"promotion request {request_id} not found")
        req = dict(rows[0])
        if req["status"] != "open":
            return PromotionResult("merged", req["merged_sha"], 0, req["base"], request_id)
        p = make_promotion(req["path"], req["image"], service=req["service"], env=req["env"],
                           source_url=req["source_url"], source_commit=req["source_commit"])  # fmt: skip
        ws = self._workspace(req["repo"], req["base"])
        try:
            for attempt in range(1, self.max_attempts + 1):
                ws.sync()
                ws.git.run("fetch", "-q", "origin", f"+refs/heads/{req['branch']}:refs/remotes/origin/promo")
                if ws.git.run("merge", "-q", "--ff-only", "origin/promo", check=False).returncode != 0:
                    merged = ws.git.run(
                        "merge", "-q", "--no-ff", "-m", f"Merge promotion #{request_id}: {p.message().splitlines()[0]}",
                        "origin/promo", check=False,
                    )  # fmt: skip
                    if merged.returncode != 0:
                        # The branch conflicts with the new tip: re-apply the edit there instead.
                        ws.git.run("merge", "--abort", check=False)
                        ws.sync()
                        if changed := self._edit(ws, p):
                            ws.commit_all(changed, p.message())
                try:
                    ws.push(f"HEAD:refs/heads/{req['base']}")
                except PushRejected:
                    if attempt == self.max_attempts:
                        raise
                    self._sleep(attempt)
                    continue
                sha = ws.head()
                with self.db.transaction() as conn:
                    conn.execute(
                        "UPDATE promotion_requests SET status='merged', merged_sha=? WHERE id=?", (sha, request_id)
                    )
                ws.git.run("push", "-q", "origin", f":refs/heads/{req['branch']}", check=False)
                return PromotionResult("merged", sha, attempt, req["base"], request_id)
            raise GitError("unreachable: approve loop ended without a result")
        finally:
            ws.close()


def promote_latest(
    promoter: Promoter,
    repo: str,
    path: str,
    *,
    lister: TagLister,
    repository: str,
    image_name: str,
    policy: dict[str, Any],
    filter_tags: dict[str, Any] | None = None,
    branch: str = "main",
) -> PromotionResult:
    """Flux ImageUpdateAutomation in one call: pick the newest tag by the ImagePolicy and promote it."""
    tag = select_tag(lister.list_tags(repository), policy, filter_tags)
    p = make_promotion(path, f"{image_name}={repository}:{tag}")
    return promoter.promote(repo, p, branch=branch)


__all__ = ["Promoter", "PromotionResult", "promote_latest"]
