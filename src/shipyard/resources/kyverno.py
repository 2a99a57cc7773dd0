"""Pydantic models of kyverno.io/v1 ClusterPolicy / Policy with ``verifyImages`` rules, and their lint validator.

Field names follow kyverno ``api/kyverno/v1`` (``policy_types.go``, ``rule_types.go``, ``match_resources_types.go``,
``image_verification_types.go``); YAML keys are the camelCase aliases. Unknown fields are errors with did-you-mean.
Fields Kyverno has but shipyard does not evaluate (KMS keys, Kubernetes secrets, Notary, ``validate``/``mutate``
rules …) are accepted here and refused with an ``UnsupportedError`` naming them when the policy is evaluated.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from shipyard.resources.loader import Document
from shipyard.resources.meta import ObjectMeta as _BaseMeta
from shipyard.resources.validate import Issues, validate_model

VERSIONS = ("kyverno.io/v1", "kyverno.io/v2beta1")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel)


class ObjectMeta(_BaseMeta):
    name: str  # a policy must be named


class ResourceDescription(_Model):
    kinds: list[str] = Field(default_factory=list)
    name: str | None = None
    names: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    annotations: dict[str, str] = Field(default_factory=dict)
    selector: dict[str, Any] | None = None
    namespace_selector: dict[str, Any] | None = None
    operations: list[Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]] = Field(default_factory=list)


class ResourceFilter(_Model):
    resources: ResourceDescription = Field(default_factory=ResourceDescription)
    subjects: list[dict[str, Any]] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    cluster_roles: list[str] = Field(default_factory=list)


class MatchResources(_Model):
    any: list[ResourceFilter] = Field(default_factory=list)
    all: list[ResourceFilter] = Field(default_factory=list)
    # The deprecated flat form: match.resources / match.subjects.
    resources: ResourceDescription | None = None
    subjects: list[dict[str, Any]] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    cluster_roles: list[str] = Field(default_factory=list)


class Rekor(_Model):
    url: str = "https://rekor.sigstore.dev"
    pubkey: str = ""
    ignore_tlog: bool = False


class CTLog(_Model):
    ignore_sct: bool = Field(default=False, alias="ignoreSCT")
    pubkey: str = ""
    tsa_cert_chain: str = ""


class SecretReference(_Model):
    name: str
    namespace: str


class StaticKeyAttestor(_Model):
    public_keys: str = ""
    signature_algorithm: str = "sha256"
    kms: str = ""
    secret: SecretReference | None = None
    rekor: Rekor | None = None
    ctlog: CTLog | None = None


class KeylessAttestor(_Model):
    subject: str = ""
    subject_reg_exp: str = Field(default="", alias="subjectRegExp")
    issuer: str = ""
    issuer_reg_exp: str = Field(default="", alias="issuerRegExp")
    roots: str = ""
    additional_extensions: dict[str, str] = Field(default_factory=dict)
    rekor: Rekor | None = None
    ctlog: CTLog | None = None


class CertificateAttestor(_Model):
    cert: str = ""
    cert_chain: str = ""
    rekor: Rekor | None = None
    ctlog: CTLog | None = None


class Attestor(_Model):
    keys: StaticKeyAttestor | None = None
    keyless: KeylessAttestor | None = None
    certificates: CertificateAttestor | None = None
    attestor: AttestorSet | None = None
    annotations: dict[str, str] = Field(default_factory=dict)
    repository: str = ""

    @model_validator(mode="after")
    def _exactly_one(self) -> Attestor:
        chosen = [n for n in ("keys", "keyless", "certificates", "attestor") if getattr(self, n) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"an attestor entry needs exactly one of keys, keyless, certificates, attestor (has {chosen or 'none'})"
            )
        return self


class AttestorSet(_Model):
    count: int | None = Field(default=None, ge=0)
    entries: list[Attestor] = Field(default_factory=list)


class Condition(_Model):
    key: Any = None
    operator: str
    value: Any = None
    message: str = ""


class AnyAllConditions(_Model):
    any: list[Condition] = Field(default_factory=list)
    all: list[Condition] = Field(default_factory=list)


class Attestation(_Model):
    type: str = ""
    predicate_type: str = ""  # deprecated name of `type`
    name: str = ""
    attestors: list[AttestorSet] = Field(default_factory=list)
    conditions: list[AnyAllConditions] = Field(default_factory=list)

    @property
    def uri(self) -> str:
        return self.type or self.predicate_type


class ImageVerification(_Model):
    type: Literal["Cosign", "SigstoreBundle", "Notary"] = "Cosign"
    image_references: list[str] = Field(default_factory=list)
    skip_image_references: list[str] = Field(default_factory=list)
    image: str = ""  # deprecated single reference
    key: str = ""  # deprecated single key
    attestors: list[AttestorSet] = Field(default_factory=list)
    attestations: list[Attestation] = Field(default_factory=list)
    failure_action: Literal["Audit", "Enforce"] | None = None
    mutate_digest: bool = True
    verify_digest: bool = True
    required: bool = True
    use_cache: bool = True
    repository: str = ""
    cosign_oci11: bool = Field(default=False, alias="cosignOCI11")
    image_registry_credentials: dict[str, Any] | None = None
    validate_: dict[str, Any] | None = Field(default=None, alias="validate")


class Rule(_Model):
    name: str
    match: MatchResources = Field(default_factory=MatchResources)
    exclude: MatchResources | None = None
    preconditions: Any = None
    context: list[dict[str, Any]] = Field(default_factory=list)
    verify_images: list[ImageVerification] = Field(default_factory=list)
    validate_: dict[str, Any] | None = Field(default=None, alias="validate")
    mutate: dict[str, Any] | None = None
    generate: dict[str, Any] | None = None
    skip_background_requests: bool = True


class PolicySpec(_Model):
    rules: list[Rule] = Field(default_factory=list)
    validation_failure_action: Literal["Audit", "Enforce", "audit", "enforce"] = "Audit"
    validation_failure_action_overrides: list[dict[str, Any]] = Field(default_factory=list)
    background: bool = True
    admission: bool = True
    failure_policy: Literal["Ignore", "Fail"] | None = None
    webhook_timeout_seconds: int | None = None
    use_server_side_apply: bool = False
    schema_validation: bool | None = None
    webhook_configuration: dict[str, Any] | None = None
    apply_rules: Literal["All", "One"] | None = None


class ClusterPolicy(_Model):
    api_version: str
    kind: Literal["ClusterPolicy", "Policy"]
    metadata: ObjectMeta
    spec: PolicySpec


Attestor.model_rebuild()


def validate_cluster_policy(doc: Document, issues: Issues) -> None:
    """``shipyard lint`` for ClusterPolicy / Policy."""
    if doc.api_version not in VERSIONS:
        issues.add(("apiVersion",), f"unsupported apiVersion {doc.api_version!r} (want {' or '.join(VERSIONS)})")
        return
    policy = validate_model(ClusterPolicy, doc, issues=issues)
    if policy is None:
        return
    for i, rule in enumerate(policy.spec.rules):
        for j, iv in enumerate(rule.verify_images):
            if not iv.image_references and not iv.image:
                issues.add(("spec", "rules", i, "verifyImages", j), "imageReferences is required")
            for k, aset in enumerate(iv.attestors):
                if aset.count is not None and aset.count > len(aset.entries):
                    issues.add(
                        ("spec", "rules", i, "verifyImages", j, "attestors", k, "count"),
                        f"count {aset.count} is more than the {len(aset.entries)} entries",
                    )


def load_policy(doc: Document) -> ClusterPolicy:
    """Validate and return the policy, raising every problem at once."""
    issues = Issues(doc)
    validate_cluster_policy(doc, issues)
    issues.raise_if_any()
    return ClusterPolicy.model_validate(doc.data)
