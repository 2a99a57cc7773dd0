"""One application model for the sync engine, read from an Argo CD Application or a Flux Kustomization (+ its
GitRepository). The engine never looks at the source YAML again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from shipyard.errors import SpecError, UnsupportedError
from shipyard.resources.argocd import Application
from shipyard.resources.flux import GitRepository, Kustomization

_DUR = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float:
    """Go durations as Argo CD/Flux write them: ``5s``, ``3m``, ``1h30m``."""
    m = _DUR.match(text.strip())
    if not text.strip() or not m:
        raise SpecError(f"invalid duration {text!r} (want e.g. 5s, 3m, 1h)")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    group: str
    kind: str
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppSpec:
    name: str
    namespace: str
    repo_url: str
    path: str
    revision: str = "HEAD"
    project: str = "default"
    dest_server: str = "https://kubernetes.default.svc"
    dest_namespace: str = ""
    images: tuple[str, ...] = ()  # kustomize edit set image arguments (Argo source.kustomize.images)
    kustomize: dict[str, Any] = field(default_factory=dict)  # namePrefix/nameSuffix/namespace/commonLabels/...
    automated: bool = False
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False
    retry_limit: int = 0
    retry_backoff: float = 5.0
    retry_factor: float = 2.0
    retry_max: float = 180.0
    ignore: tuple[IgnoreRule, ...] = ()
    history_limit: int = 10
    depends_on: tuple[str, ...] = ()
    flavor: str = "argocd"  # argocd | flux

    def with_auto_sync(self, enabled: bool) -> AppSpec:
        return replace(self, automated=enabled)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppSpec:
        d = dict(data)
        d["images"] = tuple(d.get("images") or ())
        d["depends_on"] = tuple(d.get("depends_on") or ())
        d["ignore"] = tuple(
            IgnoreRule(**{**r, "json_pointers": tuple(r.get("json_pointers") or ())}) for r in d.get("ignore") or ()
        )
        return cls(**d)


def from_argocd(app: Application) -> AppSpec:
    spec = app.spec
    k = spec.source.kustomize
    kopts: dict[str, Any] = {}
    if k is not None:
        for key, val in (
            ("namePrefix", k.name_prefix), ("nameSuffix", k.name_suffix), ("namespace", k.namespace),
            ("commonLabels", dict(k.common_labels)), ("commonAnnotations", dict(k.common_annotations)),
            ("replicas", [{"name": r.name, "count": r.count} for r in k.replicas]),
        ):  # fmt: skip
            if val:
                kopts[key] = val
    ignore = []
    for d in spec.ignore_differences:
        if d.jq_path_expressions or d.managed_fields_managers:
            raise UnsupportedError(
                "ignoreDifferences: only jsonPointers are supported (jqPathExpressions/managedFieldsManagers are not)"
            )
        ignore.append(IgnoreRule(d.group, d.kind, d.name, d.namespace, tuple(d.json_pointers)))
    auto = spec.sync_policy.automated
    retry = spec.sync_policy.retry
    return AppSpec(
        name=app.metadata.name,
        namespace=app.metadata.namespace,
        repo_url=spec.source.repo_url,
        path=spec.source.path,
        revision=spec.source.target_revision or "HEAD",
        project=spec.project,
        dest_server=spec.destination.server,
        dest_namespace=spec.destination.namespace,
        images=tuple(k.images) if k else (),
        kustomize=kopts,
        automated=bool(auto and auto.enabled),
        prune=bool(auto and auto.prune),
        self_heal=bool(auto and auto.self_heal),
        allow_empty=bool(auto and auto.allow_empty),
        # Argo CD: without a retry block an automated sync is still retried 5 times (application.yaml comment).
        retry_limit=retry.limit if retry else (5 if auto else 0),
        retry_backoff=parse_duration(retry.backoff.duration) if retry else 5.0,
        retry_factor=float(retry.backoff.factor) if retry else 2.0,
        retry_max=parse_duration(retry.backoff.max_duration) if retry else 180.0,
        ignore=tuple(ignore),
        history_limit=spec.revision_history_limit,
    )


def from_flux(k: Kustomization, repo: GitRepository) -> AppSpec:
    if k.spec.source_ref.name != repo.metadata.name:
        raise SpecError(
            f"Kustomization {k.metadata.name} refers to GitRepository {k.spec.source_ref.name!r}, "
            f"not {repo.metadata.name!r}", path="spec.sourceRef.name",
        )  # fmt: skip
    ref = repo.spec.ref
    if ref.semver:
        raise UnsupportedError("GitRepository spec.ref.semver is not supported; use branch, tag or commit")
    revision = ref.commit or ref.tag or ref.name or ref.branch or "HEAD"
    images = tuple(
        f"{i.name}={i.new_name or i.name}"
        + (f":{i.new_tag}" if i.new_tag else "")
        + (f"@{i.digest}" if i.digest else "")
        for i in k.spec.images
    )
    kopts: dict[str, Any] = {"namespace": k.spec.target_namespace} if k.spec.target_namespace else {}
    return AppSpec(
        name=k.metadata.name,
        namespace=k.metadata.namespace,
        repo_url=repo.spec.url,
        path=k.spec.path,
        revision=revision,
        dest_namespace=k.spec.target_namespace,
        images=images,
        kustomize=kopts,
        automated=not k.spec.suspend,
        prune=k.spec.prune,
        # Flux re-applies every interval, so drift is always corrected.
        self_heal=True,
        retry_limit=-1,
        retry_backoff=parse_duration(k.spec.retry_interval or k.spec.interval),
        retry_factor=1.0,
        retry_max=parse_duration(k.spec.retry_interval or k.spec.interval),
        depends_on=tuple(d.name for d in k.spec.depends_on),
        flavor="flux",
    )


def apps_from_documents(docs: list[Any], file: str = "<input>") -> list[AppSpec]:
    """AppSpecs from Argo CD Applications and Flux Kustomizations (with their GitRepositories) in ``docs``."""
    from shipyard.resources.loader import Document
    from shipyard.resources.validate import Issues, validate_model

    apps: list[AppSpec] = []
    repos: dict[str, GitRepository] = {}
    kusts: list[Kustomization] = []
    for d in docs:
        doc = d if isinstance(d, Document) else Document(data=d, file=file)
        kind = doc.kind
        issues = Issues(doc)
        if kind == "Application":
            a = validate_model(Application, doc, issues=issues)
            issues.raise_if_any()
            assert a is not None
            apps.append(from_argocd(a))
        elif kind == "GitRepository":
            r = validate_model(GitRepository, doc, issues=issues)
            issues.raise_if_any()
            assert r is not None
            repos[r.metadata.name] = r
        elif kind == "Kustomization" and str(doc.api_version).startswith("kustomize.toolkit.fluxcd.io/"):
            k = validate_model(Kustomization, doc, issues=issues)
            issues.raise_if_any()
            assert k is not None
            kusts.append(k)
        else:
            raise SpecError(
                f"expected an argoproj.io Application or Flux Kustomization/GitRepository, not {kind!r}",
                file=doc.file,
                line=doc.line,
            )
    for k in kusts:
        repo = repos.get(k.spec.source_ref.name)
        if repo is None:
            raise SpecError(
                f"Kustomization {k.metadata.name}: GitRepository {k.spec.source_ref.name!r} is not in the input",
                file=file,
            )
        apps.append(from_flux(k, repo))
    return apps
