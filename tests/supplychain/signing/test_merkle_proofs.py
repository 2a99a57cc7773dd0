"""RFC 6962 §2.1 Merkle audit paths: proofs built from the RFC's recursive definitions (MTH, PATH) in this test
must lead ``tlog.root_from_proof`` to the tree head, and any altered proof must not."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.supplychain.signing import tlog
from shipyard.supplychain.signing.errors import TransparencyLogError


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=70), data=st.data())
def test_rfc6962_audit_paths(size: int, data: st.DataObject) -> None:
    leaves = [f"entry-{i}".encode() for i in range(size)]
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tuple(path(index, leaves))
    assert tlog.root_from_proof(index, size, leaf_hash(leaves[index]), proof) == mth(leaves)
    if proof:
        bent = list(proof)
        bent[0] = hashlib.sha256(bent[0]).digest()
        assert tlog.root_from_proof(index, size, leaf_hash(leaves[index]), tuple(bent)) != mth(leaves)


@pytest.mark.parametrize(
    ("index", "size", "hashes"),
    [(5, 5, 3), (0, 4, 1), (0, 4, 3)],
    ids=["index beyond tree", "proof too short", "proof too long"],
)
def test_malformed_proofs(index: int, size: int, hashes: int) -> None:
    with pytest.raises(TransparencyLogError):
        tlog.root_from_proof(index, size, b"\x00" * 32, tuple(b"\x11" * 32 for _ in range(hashes)))
