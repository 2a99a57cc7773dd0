"""Evaluate ``verifyImages`` rules against a Pod, Deployment, Rollout … and decide per container.

For each matching rule and image: every attestor set must pass (``count`` entries of it), every attestation
must have a verified statement whose predicate satisfies its conditions; then a tag is pinned to the verified
digest (``mutateDigest``), an unpinned image is refused when it is not mutated (``verifyDigest``), and a failure
denies when the rule enforces (``failureAction`` / ``validationFailureAction``) and the image is ``required``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shipyard.errors import NotFoundError, RegistryError, UnsupportedError, VerificationError
from shipyard.resources.kyverno import AttestorSet, ClusterPolicy, ImageVerification, Rule
from shipyard.supplychain.policy import conditions
from shipyard.supplychain.policy.attestors import Entry, expand, required_count
from shipyard.supplychain.policy.images import ImageInfo, image_matches, resource_images
from shipyard.supplychain.policy.match import rule_applies
from shipyard.supplychain.signing.imageref import parse_image
from shipyard.supplychain.signing.storage import SignatureStore, resolve
from shipyard.supplychain.signing.trustroot import TrustedRoot
from shipyard.supplychain.signing.verify import Verifier, verify_attestations, verify_image

Status = Literal["pass", "fail", "skip"]
_ERRORS = (VerificationError, RegistryError, NotFoundError)


@dataclass(frozen=True, slots=True)
class ContainerDecision:
    container: str
    pointer: str
    image: str  # as written in the resource
    status: Status
    policy: str
    rule: str
    message: str
    pinned: str = ""  # registry/path:tag@digest once verified
    enforce: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    containers: tuple[ContainerDecision, ...]
    patches: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def denials(self) -> list[ContainerDecision]:
        return [c for c in self.containers if c.status == "fail" and c.enforce]

    @property
    def allowed(self) -> bool:
        return not self.denials

    def message(self) -> str:
        return "\n".join(f"policy {c.policy}/{c.rule}: {c.message}" for c in self.denials)


class _Failure(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


class PolicyEngine:
    """Holds the policies, the signature store and the trusted root; caches verifications (``useCache``)."""

    def __init__(
        self, policies: Sequence[ClusterPolicy], store: SignatureStore, *, trusted_root: TrustedRoot | None = None
    ) -> None:
        self.policies = list(policies)
        self.store = store
        self.trusted_root = trusted_root
        self._cache: dict[tuple[str, str, str], str] = {}

    # -- verification of one image ------------------------------------------------------------------------
    def _verify_entry(self, entry: Entry, image: ImageInfo, predicate: str | None) -> tuple[str, list[dict[str, Any]]]:
        assert entry.verifier is not None
        v: Verifier = entry.verifier
        if predicate is None:
            ref, _ = verify_image(self.store, image.verify_ref, v)
            return str(ref.digest), []
        ref, found = verify_attestations(self.store, image.verify_ref, v, predicate_type=predicate)
        return str(ref.digest), [f.payload for f in found]

    def _check_set(
        self, aset: AttestorSet, path: str, image: ImageInfo, predicate: str | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        entries = expand(aset, path, self.trusted_root)
        need = required_count(aset, entries)
        passed = 0
        digest = ""
        statements: list[dict[str, Any]] = []
        reasons: list[str] = []
        for entry in entries:
            try:
                if entry.nested is not None:
                    d, s = self._check_set(entry.nested, entry.path, image, predicate)
                else:
                    d, s = self._verify_entry(entry, image, predicate)
            except _Failure as exc:
                reasons.append(str(exc))
                continue
            except _ERRORS as exc:
                reasons.append(f"{entry.path}: {exc}")
                continue
            passed += 1
            digest = digest or d
            statements.extend(s)
            if passed >= need:
                return digest, statements
        detail = reasons[0] if reasons else f"{path}: no entries"
        raise _Failure(path, f"{passed} of {need} required attestors verified; {detail}")

    def _verify(self, iv: ImageVerification, image: ImageInfo) -> str:
        digest = ""
        for i, aset in enumerate(iv.attestors):
            digest = self._check_set(aset, f".attestors[{i}]", image)[0] or digest
        for i, att in enumerate(iv.attestations):
            if not att.attestors:
                raise UnsupportedError(f".attestations[{i}] has no attestors")
            for j, aset in enumerate(att.attestors):
                d, found = self._check_set(aset, f".attestations[{i}].attestors[{j}]", image, att.uri)
                digest = digest or d
                ok, why = False, "no statements"
                for statement in found:
                    ok, why = conditions.check_all(att.conditions, statement.get("predicate"))
                    if ok:
                        break
                if not ok:
                    raise _Failure(f".attestations[{i}]", f"attestation {att.uri} failed its conditions: {why}")
        if not digest:
            ref = parse_image(image.verify_ref)
            digest = resolve(self.store, ref.repository, ref.identifier, ref.digest).digest
        return digest

    def _cached(self, iv: ImageVerification, image: ImageInfo) -> str:
        key = (image.verify_ref, iv.model_dump_json(), "")
        if iv.use_cache and key in self._cache:
            return self._cache[key]
        digest = self._verify(iv, image)
        self._cache[key] = digest
        return digest

    # -- rules ---------------------------------------------------------------------------------------
    def _rule(
        self, policy: ClusterPolicy, rule: Rule, resource: Mapping[str, Any]
    ) -> list[tuple[ContainerDecision, dict[str, Any] | None]]:
        if rule.validate_ or rule.mutate or rule.generate:
            raise UnsupportedError(f"rule {rule.name}: only verifyImages rules are evaluated by shipyard")
        if rule.preconditions or rule.context:
            raise UnsupportedError(f"rule {rule.name}: preconditions and context are not evaluated by shipyard")
        if policy.spec.validation_failure_action_overrides:
            raise UnsupportedError(f"policy {policy.metadata.name}: validationFailureActionOverrides is not supported")
        action = policy.spec.validation_failure_action.capitalize()
        out: list[tuple[ContainerDecision, dict[str, Any] | None]] = []
        for iv in rule.verify_images:
            creds = iv.image_registry_credentials or {}
            if creds.get("secrets") or creds.get("providers"):
                raise UnsupportedError(
                    f"rule {rule.name}: imageRegistryCredentials secrets/providers are not supported "
                    "(shipyard uses ~/.docker/config.json)"
                )
            if iv.validate_:
                raise UnsupportedError(f"rule {rule.name}: verifyImages.validate is not supported")
            if iv.type == "Notary":
                raise UnsupportedError(f"rule {rule.name}: verifyImages type Notary is not supported")
            if iv.repository or iv.key or iv.image:
                raise UnsupportedError(
                    f"rule {rule.name}: verifyImages repository/key/image (deprecated forms) are not supported"
                )
            enforce = (iv.failure_action or action) == "Enforce" and iv.required
            patterns = iv.image_references
            for image in resource_images(resource):
                if not image_matches(patterns, image) or image_matches(iv.skip_image_references, image):
                    continue
                out.append(self._decide_image(policy, rule, iv, image, enforce))
        return out

    def _decide_image(
        self, policy: ClusterPolicy, rule: Rule, iv: ImageVerification, image: ImageInfo, enforce: bool
    ) -> tuple[ContainerDecision, dict[str, Any] | None]:
        def decide(status: Status, message: str, pinned: str = "") -> ContainerDecision:
            name = policy.metadata.name
            return ContainerDecision(
                image.container, image.pointer, image.raw, status, name, rule.name, message, pinned, enforce
            )

        try:
            digest = self._cached(iv, image)
        except (_Failure, *_ERRORS) as exc:
            return decide("fail", f"failed to verify image {image}: {exc}"), None
        pinned = image.pinned(digest)
        if not image.digest and iv.mutate_digest:
            return decide("pass", f"image {image} verified", pinned), {
                "op": "replace",
                "path": image.pointer,
                "value": pinned,
            }
        if not image.digest and iv.verify_digest:
            return decide("fail", f"missing digest for {image} (verifyDigest, and mutateDigest is off)"), None
        return decide("pass", f"image {image} verified", pinned), None

    def evaluate(
        self, resource: Mapping[str, Any], *, namespace: str | None = None, operation: str = "CREATE"
    ) -> Decision:
        """The decision for one resource (namespace from the request, else from its metadata)."""
        ns = namespace if namespace is not None else str((resource.get("metadata") or {}).get("namespace") or "default")
        decisions: list[ContainerDecision] = []
        patches: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        for policy in self.policies:
            for i, rule in enumerate(policy.spec.rules):
                if not rule.verify_images or not rule_applies(policy, i, resource, ns, operation):
                    continue
                for decision, patch in self._rule(policy, rule, resource):
                    decisions.append(decision)
                    if patch is not None:
                        patches.setdefault(patch["path"], patch)
                    if decision.status == "fail" and not decision.enforce:
                        warnings.append(f"policy {decision.policy}/{decision.rule}: {decision.message}")
        ops = list(patches.values())
        if all(d.status != "fail" or not d.enforce for d in decisions):
            ops += annotation_patches(resource, decisions)
        return Decision(tuple(decisions), tuple(ops), tuple(warnings))


def annotation_patches(resource: Mapping[str, Any], decisions: Sequence[ContainerDecision]) -> list[dict[str, Any]]:
    """Kyverno records verified images in ``kyverno.io/verify-images`` (``imageverifymetadata.go``)."""
    status = {d.pinned: "pass" for d in decisions if d.status == "pass" and d.pinned}
    if not status:
        return []
    ops: list[dict[str, Any]] = []
    if not ((resource.get("metadata") or {}).get("annotations")):
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    ops.append(
        {
            "op": "add",
            "path": "/metadata/annotations/kyverno.io~1verify-images",
            "value": json.dumps(status, separators=(",", ":"), sort_keys=True),
        }
    )
    return ops
