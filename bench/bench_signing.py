"""Sign and verify 1,000 image digests (cosign legacy and bundle layouts) against the in-memory signature store,
so registry I/O is excluded. Peer: bare ``cryptography`` ECDSA P-256 verification of the same payloads, measured in
the same run (the floor any cosign verifier pays). Goal: 1,000 verifications in under 2 s."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from shipyard.supplychain.signing import keys, legacy, sign, verify
from shipyard.testing.signatures import MemorySignatureStore

N = 1000
REPO = "127.0.0.1:5000/bench/app"


def _measure(new_format: bool) -> dict[str, float]:
    pair = keys.generate_key_pair(b"")
    key = keys.load_private_key(pair.private_pem, b"")
    pub = keys.load_public_key(pair.public_pem)
    store = MemorySignatureStore()
    digests = [
        store.add_image(REPO, f"t{i}", config=b'{"architecture":"amd64","os":"linux","n":%d}' % i) for i in range(N)
    ]
    now = datetime.now(UTC)
    start = time.perf_counter()
    for d in digests:
        sign.sign_image(store, f"{REPO}@{d}", key, now=now, new_bundle_format=new_format)
    signed = time.perf_counter() - start
    verifier = verify.Verifier(key=pub)
    start = time.perf_counter()
    for d in digests:
        verify.verify_image(store, f"{REPO}@{d}", verifier)
    verified = time.perf_counter() - start
    # Peer: the bare signature checks over the same stored payloads.
    pairs: list[tuple[bytes, bytes]] = []
    if not new_format:
        for d in digests:
            (layer,) = legacy.read_layers(store, REPO, legacy.legacy_tag(d, "sig"))
            sig = base64.b64decode(layer.annotations[legacy.ANN_SIGNATURE])
            pairs.append((sig, store.blobs[(REPO, layer.digest)]))
    else:
        pairs = [(keys.sign_bytes(key, d.encode()), d.encode()) for d in digests]
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    start = time.perf_counter()
    for sig, data in pairs:
        pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    peer = time.perf_counter() - start
    return {
        "sign_s": round(signed, 3),
        "verify_s": round(verified, 3),
        "peer_raw_ecdsa_verify_s": round(peer, 3),
        "verify_vs_raw_ecdsa": round(verified / peer, 2),
    }


def main() -> dict[str, Any]:
    legacy_figures = _measure(new_format=False)
    bundle_figures = _measure(new_format=True)
    return {
        "images": N,
        "legacy_layout": legacy_figures,
        "bundle_layout": bundle_figures,
        "goal_verify_1000_under_s": 2.0,
        "goal_met": legacy_figures["verify_s"] < 2.0 and bundle_figures["verify_s"] < 2.0,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
