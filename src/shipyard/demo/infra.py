"""What the demo sets up before the push: the base image, the vulnerability database, a registry, the signing
key and the GitOps repository. Each returns what it made so the narrative can say so; each is skipped (and its
stages leave the pipeline) when the machine lacks what it needs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from shipyard.demo import baseimage
from shipyard.errors import ExecutionError
from shipyard.gitops.layout import seed_layout
from shipyard.images.layout import OciLayout
from shipyard.registry.server import RunningRegistry, registry_available, start_registry
from shipyard.store.files import atomic_write_bytes
from shipyard.store.vulndb import VulnDB
from shipyard.supplychain.signing import keys
from shipyard.vcs.git import init_repo

SERVICE = "order-service"
PASSWORD_ENV = "SHIPYARD_DEMO_COSIGN_PASSWORD"  # the key's password lives only in this variable and a 0600 Secret
RUN_URL_BASE = "shipyard://pipelineruns/default/"  # `shipyard pipelinerun describe NAME` shows the run
STORE_ONLY_REGISTRY = "localhost"  # image names when no registry binary is installed (content store only)


_CHECKOUT = Path(__file__).resolve().parents[3]


def osv_sources() -> list[Path]:
    """The shared OSV tarballs: ``$SHIPYARD_SHARED/data/osv``, else ``shared/`` beside the checkout."""
    env = os.environ.get("SHIPYARD_SHARED")
    candidates = [Path(env)] if env else [_CHECKOUT.parent / "shared", Path("/work/shared")]
    for shared in candidates:
        osv = shared / "data" / "osv"
        if osv.is_dir():
            return sorted(osv.glob("*.tar.gz"))
    return []


@dataclass(frozen=True, slots=True)
class VulnDbState:
    imported: tuple[str, ...]  # sources imported now (empty: the database was up to date)
    records: int


def ensure_vulndb(home: Path, sources: list[Path]) -> VulnDbState:
    """Import the OSV data when the database is missing it or holds an older copy than the files."""
    db = VulnDB.at_home(home)
    try:
        now = time.time()
        known = {s.path: s.imported_at for s in db.status(now=now).sources}
        stale = [p for p in sources if known.get(str(p), known.get(str(p.resolve()), -1.0)) < p.stat().st_mtime]
        if stale:
            db.import_paths(list(stale), now=now)
        return VulnDbState(tuple(p.name for p in stale), db.status(now=time.time()).records)
    finally:
        db.close()


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Path
    public: Path
    password: str


def make_signing_key(directory: Path) -> SigningKey:
    """A cosign key pair for this demo run; the password is taken from (or put into) ``PASSWORD_ENV``."""
    password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(24)
    os.environ[PASSWORD_ENV] = password
    pair = keys.generate_key_pair(password.encode())
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "cosign.key", directory / "cosign.pub"
    atomic_write_bytes(private, pair.private_pem, mode=0o600)
    atomic_write_bytes(public, pair.public_pem, mode=0o600)
    return SigningKey(private, public, password)


def start_demo_registry(root: Path) -> RunningRegistry | None:
    """The Debian ``docker-registry`` on a random loopback port, or None when it is not installed."""
    if not registry_available():
        return None
    return start_registry(root / "registry")


def make_gitops_repo(root: Path, registry_host: str) -> tuple[Path, str]:
    """A bare GitOps repository laid out as the seed's; returns its path and first commit."""
    repo = root / "gitops.git"
    shutil.rmtree(repo, ignore_errors=True)
    commit = init_repo(repo, seed_layout([SERVICE], registry_host), "GitOps repository for order-service")
    return repo, commit


# The PyPI and Go advisories carry no severity (UNKNOWN): the gate includes UNKNOWN so an unscored advisory
# cannot slip through a CRITICAL,HIGH gate unseen.
SCAN_SEVERITY = "CRITICAL,HIGH,UNKNOWN"


def shipyard_cli() -> str:
    """The absolute path of the ``shipyard`` CLI beside this interpreter (pipeline steps get a minimal PATH)."""
    beside = Path(sys.executable).parent / "shipyard"
    found = str(beside) if beside.exists() else shutil.which("shipyard")
    if not found:
        raise ExecutionError("cannot find the shipyard CLI beside the interpreter or on PATH")
    return str(Path(found).absolute())


@dataclass
class Setup:
    base: baseimage.BaseImage | None = None
    vulndb: VulnDbState | None = None
    registry: RunningRegistry | None = None
    key: SigningKey | None = None
    gitops: Path | None = None
    gitops_commit: str = ""
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        if self.registry is not None:
            self.registry.stop()


def prepare(
    home: Path, root: Path, layout: OciLayout, console: Console, ensure_base: Callable[[OciLayout], baseimage.BaseImage]
) -> Setup:
    """Everything the stages need, each step said on the console; a missing capability is a note, not a failure."""
    setup = Setup()
    try:
        if baseimage.available():
            setup.base = ensure_base(layout)
            how = "assembled and imported" if setup.base.built else "cached in the content store"
            console.print(
                f"base image       {setup.base.name}  {setup.base.digest[:19]}  ({how}: "
                f"{', '.join(setup.base.packages)})"
            )
        else:
            setup.notes.append("no Python base image: the Debian packages it is made of are not all installed")
        sources = osv_sources()
        if sources:
            setup.vulndb = ensure_vulndb(home, sources)
            how = f"imported {', '.join(setup.vulndb.imported)}" if setup.vulndb.imported else "up to date"
            console.print(f"vulnerability db {setup.vulndb.records} OSV records ({how})")
        else:
            setup.notes.append("no OSV data (set SHIPYARD_SHARED): the scan stage is left out")
        setup.registry = start_demo_registry(root)
        if setup.registry is not None:
            console.print(f"registry         http://{setup.registry.host}  (docker-registry, storage under {root})")
            setup.key = make_signing_key(root / "keys")
            console.print(f"signing key      {setup.key.public}  (password in ${PASSWORD_ENV}, never printed)")
        else:
            setup.notes.append("docker-registry is not installed: images stay in the content store; no sign/promote")
        host = setup.registry.host if setup.registry is not None else STORE_ONLY_REGISTRY
        setup.gitops, setup.gitops_commit = make_gitops_repo(root, host)
        console.print(
            f"gitops repo      {setup.gitops}  (services/{SERVICE}/base, overlays/staging, overlays/production)"
        )
        for note in setup.notes:
            console.print(f"[yellow]note[/]             {note}")
    except BaseException:
        setup.close()
        raise
    return setup
