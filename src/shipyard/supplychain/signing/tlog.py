"""Rekor transparency-log evidence, checked offline: SET, RFC 6962/9162 inclusion proof, signed checkpoint.

* SET (``inclusionPromise``): the log's signature over the RFC 8785 JSON ``{body,integratedTime,logID,logIndex}``
  (cosign ``VerifySET``); for these four fields canonical JSON is sorted, compact ``json.dumps``.
* Inclusion proof: leaf = SHA-256(0x00 ‖ body), node = SHA-256(0x01 ‖ L ‖ R), root recomputed from
  (``inclusionProof.logIndex``, ``treeSize``, ``hashes``) and compared with ``rootHash``.
* Checkpoint: a C2SP signed note ``origin\\nsize\\nb64(root)\\n…\\n\\n— name b64(keyhint ‖ sig)``; the signature
  covers the body through its last newline; key hint = first 4 bytes of the log id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipyard.supplychain.signing.errors import SignatureMismatchError, TransparencyLogError
from shipyard.supplychain.signing.keys import verify_bytes
from shipyard.supplychain.signing.trustroot import LogKey, TrustedRoot


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TransparencyLogError(f"tlog entry {what} is not base64") from exc


@dataclass(frozen=True, slots=True)
class InclusionProof:
    log_index: int
    root_hash: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class TlogEntry:
    log_index: int
    log_id: bytes
    kind: str
    version: str
    integrated_time: int | None
    set_signature: bytes | None
    proof: InclusionProof | None
    body: bytes  # canonicalized body bytes

    @property
    def integrated_at(self) -> datetime | None:
        return None if self.integrated_time is None else datetime.fromtimestamp(self.integrated_time, UTC)

    def body_json(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TransparencyLogError("tlog entry body is not JSON") from exc
        if not isinstance(doc, dict):
            raise TransparencyLogError("tlog entry body is not an object")
        return doc


def parse_entry(doc: dict[str, Any]) -> TlogEntry:
    try:
        kv = doc.get("kindVersion") or {}
        proof_doc = doc.get("inclusionProof")
        proof = None
        if isinstance(proof_doc, dict):
            proof = InclusionProof(
                log_index=int(proof_doc["logIndex"]),
                root_hash=_b64(proof_doc["rootHash"], "inclusionProof.rootHash"),
                tree_size=int(proof_doc["treeSize"]),
                hashes=tuple(_b64(h, "inclusionProof.hashes") for h in proof_doc.get("hashes") or []),
                checkpoint=str((proof_doc.get("checkpoint") or {}).get("envelope", "")),
            )
        promise = doc.get("inclusionPromise") or {}
        it = doc.get("integratedTime")
        entry = TlogEntry(
            log_index=int(doc.get("logIndex", 0)),
            log_id=_b64((doc.get("logId") or {}).get("keyId", ""), "logId.keyId"),
            kind=str(kv.get("kind", "")),
            version=str(kv.get("version", "")),
            integrated_time=int(it) if it not in (None, "", "0", 0) else None,
            set_signature=_b64(promise["signedEntryTimestamp"], "SET") if promise.get("signedEntryTimestamp") else None,
            proof=proof,
            body=_b64(doc.get("canonicalizedBody", ""), "canonicalizedBody"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, TransparencyLogError):
            raise
        raise TransparencyLogError(f"malformed tlog entry: {exc}") from exc
    _check_entry(entry)
    return entry


def _check_entry(entry: TlogEntry) -> None:
    """sigstore-go ``ParseTransparencyLogEntry``: ``kindVersion`` must be what the body says it is."""
    try:
        body = json.loads(entry.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # the body checks (tlogbody) refuse it with their own message
    if isinstance(body, dict) and (body.get("kind"), body.get("apiVersion")) != (entry.kind, entry.version):
        raise TransparencyLogError(
            f"kind and version mismatch: {body.get('kind')}/{body.get('apiVersion')} != {entry.kind}/{entry.version}"
        )


def log_for(entry: TlogEntry, root: TrustedRoot) -> LogKey:
    log = root.tlog(entry.log_id)
    if log is None:
        raise TransparencyLogError(f"tlog entry's log id {entry.log_id.hex()} is not in the trusted root")
    return log


def set_payload(body_b64: str, integrated_time: int, log_id: bytes, log_index: int) -> bytes:
    doc = {"body": body_b64, "integratedTime": integrated_time, "logID": log_id.hex(), "logIndex": log_index}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def verify_set(entry: TlogEntry, root: TrustedRoot) -> None:
    if entry.set_signature is None or entry.integrated_time is None:
        raise TransparencyLogError("tlog entry has no signed entry timestamp (inclusion promise)")
    log = log_for(entry, root)
    at = entry.integrated_at
    if at is not None and not log.valid.contains(at):
        raise TransparencyLogError("integrated time is outside the transparency log key's validity")
    message = set_payload(base64.b64encode(entry.body).decode(), entry.integrated_time, entry.log_id, entry.log_index)
    try:
        verify_bytes(log.key, entry.set_signature, message)
    except SignatureMismatchError as exc:
        raise TransparencyLogError("signed entry timestamp (SET) signature is invalid") from exc


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_proof(index: int, size: int, leaf: bytes, proof: tuple[bytes, ...]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    if index < 0 or index >= size:
        raise TransparencyLogError(f"inclusion proof index {index} is outside tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise TransparencyLogError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise TransparencyLogError("inclusion proof is too short for the tree size")
    return r


def verify_inclusion(entry: TlogEntry, root: TrustedRoot) -> None:
    proof = entry.proof
    if proof is None:
        raise TransparencyLogError("tlog entry has no inclusion proof")
    leaf = hashlib.sha256(b"\x00" + entry.body).digest()
    computed = root_from_proof(proof.log_index, proof.tree_size, leaf, proof.hashes)
    if computed != proof.root_hash:
        raise TransparencyLogError("inclusion proof does not lead to the stated root hash (stale or forged proof)")
    if not proof.checkpoint:
        # sigstore-go ParseTransparencyLogEntry: without the signed checkpoint nothing commits to the root hash,
        # so anyone can compute a "proof" for a tree of their own.
        raise TransparencyLogError("inclusion proof missing required checkpoint")
    verify_checkpoint(proof, log_for(entry, root))


def verify_checkpoint(proof: InclusionProof, log: LogKey) -> None:
    body, sep, sigs = proof.checkpoint.partition("\n\n")
    if not sep:
        raise TransparencyLogError("checkpoint is not a signed note (no blank line)")
    lines = body.split("\n")
    if len(lines) < 3:
        raise TransparencyLogError("checkpoint body needs origin, size and root hash")
    if lines[1] != str(proof.tree_size):
        raise TransparencyLogError(f"checkpoint size {lines[1]} differs from the proof's tree size {proof.tree_size}")
    if _b64(lines[2], "checkpoint root") != proof.root_hash:
        raise TransparencyLogError("checkpoint root hash differs from the inclusion proof's root hash")
    message = (body + "\n").encode()
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            continue
        _name, _, b64sig = line[2:].rpartition(" ")
        raw = _b64(b64sig, "checkpoint signature")
        if len(raw) < 5 or raw[:4] != log.log_id[:4]:
            continue
        try:
            verify_bytes(log.key, raw[4:], message)
            return
        except SignatureMismatchError as exc:
            raise TransparencyLogError("checkpoint signature is invalid") from exc
    raise TransparencyLogError("checkpoint carries no signature by the transparency log")
