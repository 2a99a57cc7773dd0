"""Policy rewrites for environments without Fulcio: swap keyless attestors for a cosign public key.

The demo signs with a generated key, not through GitHub's OIDC; ``with_key_attestor`` keeps everything else in the
seed's ClusterPolicy (match, imageReferences, count, mutateDigest, verifyDigest) and replaces every ``keyless``
entry with a ``keys`` entry holding ``public_pem``.
"""

from __future__ import annotations

from shipyard.resources.kyverno import Attestor, AttestorSet, ClusterPolicy, StaticKeyAttestor


def _swap(aset: AttestorSet, public_pem: str) -> AttestorSet:
    entries = []
    for entry in aset.entries:
        if entry.keyless is not None:
            entry = Attestor(keys=StaticKeyAttestor(public_keys=public_pem), annotations=entry.annotations)
        elif entry.attestor is not None:
            entry = entry.model_copy(update={"attestor": _swap(entry.attestor, public_pem)})
        entries.append(entry)
    return aset.model_copy(update={"entries": entries})


def with_key_attestor(
    policy: ClusterPolicy, public_pem: bytes, *, image_references: list[str] | None = None
) -> ClusterPolicy:
    """``policy`` with keyless attestors replaced by ``public_pem`` (and, if given, other ``imageReferences``)."""
    pem = public_pem.decode().strip()
    rules = []
    for rule in policy.spec.rules:
        ivs = []
        for iv in rule.verify_images:
            update: dict[str, object] = {"attestors": [_swap(a, pem) for a in iv.attestors]}
            if image_references is not None:
                update["image_references"] = list(image_references)
            ivs.append(iv.model_copy(update=update))
        rules.append(rule.model_copy(update={"verify_images": ivs}))
    return policy.model_copy(update={"spec": policy.spec.model_copy(update={"rules": rules})})
