"""A resource under build: the object, the names it had before (for name-reference fix-ups and overlay
matching), and whether it gets a content-hash suffix at the end of the build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.configurations import Config

# kyaml resid/gvk.go legacy order.
ORDER_FIRST = [
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret",
    "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
    "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
]  # fmt: skip
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]
_RANK = {k: i - len(ORDER_FIRST) for i, k in enumerate(ORDER_FIRST)} | {k: i + 1 for i, k in enumerate(ORDER_LAST)}

CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
    "StorageClass", "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "APIService", "IngressClass", "CSIDriver", "CSINode", "RuntimeClass", "PodSecurityPolicy", "Node",
    "VolumeAttachment", "CertificateSigningRequest", "ComponentStatus", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}  # fmt: skip


@dataclass(slots=True)
class Resource:
    obj: dict[str, Any]
    history: list[str] = field(default_factory=list)
    # Every (name, namespace) it had before the current one, as kustomize's previousNames/previousNamespaces.
    prev_ids: list[tuple[str, str]] = field(default_factory=list)
    needs_hash: bool = False
    origin: str = ""
    org_name: str = ""
    org_ns: str = ""
    # The namePrefix/nameSuffix pairs applied to it, outermost last: name references prefer a target renamed
    # the same way as the referrer (kustomize's PrefixesSuffixesEquals).
    affixes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]

    @property
    def meta(self) -> dict[str, Any]:
        m = self.obj.setdefault("metadata", {})
        if not isinstance(m, dict):
            raise SpecError("metadata must be a mapping", file=self.origin)
        return m

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.meta.get("namespace") or "")

    def rename(self, new: str) -> None:
        if new != self.name:
            self.history.append(self.name)
            self.prev_ids.append((self.name, self.namespace))
            self.meta["name"] = new

    def set_namespace(self, namespace: str) -> None:
        if namespace != self.namespace:
            self.prev_ids.append((self.name, self.namespace))
            self.meta["namespace"] = namespace

    def had_id(self, name: str, namespace: str) -> bool:
        """Whether (name, namespace) is its current id or one it had (``""`` and ``"default"`` are the same)."""
        want = namespace or "default"
        return any(n == name and (ns or "default") == want for n, ns in [*self.prev_ids, (self.name, self.namespace)])

    def id_names(self) -> tuple[str, str]:
        """kustomize's OrgId and CurId names: what selectors and name-matched patches are tested against."""
        return (self.org_name or self.name, self.name)

    def id_namespaces(self) -> tuple[str, str]:
        return (self.org_ns or "default", self.namespace or "default")

    def all_names(self) -> list[str]:
        return [*self.history, self.name]

    def gvk_string(self) -> str:
        return "_".join((self.group or "~G", self.version or "~V", self.kind or "~K"))

    def ident(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)

    def describe(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


def legacy_sort_key(
    order_first: list[str] | None = None, order_last: list[str] | None = None
) -> Callable[[Resource], tuple[int, str, str, str]]:
    """kustomize's legacy order (``sortOptions.legacySortOptions`` replaces the kind lists): first-kinds in list
    order, then everything else, then last-kinds; ties by GVK string, namespace, name."""
    rank = _RANK
    if order_first is not None or order_last is not None:
        first, last = list(order_first or []), list(order_last or [])
        rank = {k: i - len(first) for i, k in enumerate(first)} | {k: i + 1 for i, k in enumerate(last)}

    def key(r: Resource) -> tuple[int, str, str, str]:
        return (rank.get(r.kind, 0), r.gvk_string(), r.namespace or "~X", r.name)

    return key


class ResMap:
    """Resources in insertion order with unique ids."""

    def __init__(self) -> None:
        self.items: list[Resource] = []
        # Transformer configurations (``configurations:``) of this kustomization and the bases under it.
        self.config = Config()

    def add(self, r: Resource) -> None:
        self.add_all([r])

    def add_all(self, new: list[Resource]) -> None:
        """Append resources; an id (group, kind, namespace, name) already present is an error, as in kustomize."""
        ids = {o.ident(): o for o in self.items}
        for r in new:
            if not isinstance(r.obj.get("kind"), str) or not r.obj.get("kind"):
                raise SpecError("resource has no kind", file=r.origin)
            if not r.name:
                raise SpecError(f"{r.kind} has no metadata.name", file=r.origin)
            if not r.org_name:
                r.org_name, r.org_ns = r.name, r.namespace
            other = ids.get(r.ident())
            if other is not None:
                raise SpecError(
                    f"may not add resource with an already registered id: {r.describe()} "
                    f"(from {r.origin or '?'} and {other.origin or '?'})"
                )
            ids[r.ident()] = r
            self.items.append(r)

    def extend(self, other: ResMap) -> None:
        self.add_all(other.items)
        self.config.merge(other.config)

    def find(self, kind: str, name: str, namespace: str | None = None, *, any_id: bool = False) -> list[Resource]:
        """By kind and name: the original or current name, or (``any_id``) any name it ever had."""
        return [
            r
            for r in self.items
            if r.kind == kind
            and name in (r.all_names() if any_id else r.id_names())
            and (namespace is None or namespace in r.id_namespaces())
        ]
