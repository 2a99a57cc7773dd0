"""Bearer tokens against the real registry: distribution's token auth (docs/spec/auth/token.md, jwt.md) with a
token server started by the test, signing ES256 JWTs whose x5c certificate the registry trusts."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from shipyard.errors import RegistryError
from shipyard.images.layout import OciLayout
from shipyard.images.reference import parse_reference
from shipyard.registry.auth import Credentials
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.registry.transfer import pull_image, push_image
from shipyard.testing.images import tiny_image
from shipyard.testing.registry import RunningRegistry, start_registry

pytestmark = pytest.mark.integration
SERVICE, ISSUER = "shipyard-registry", "shipyard-token-issuer"
USERS = {"writer": ("w-pass", {"pull", "push", "delete"}), "reader": ("r-pass", {"pull"})}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self.key, self.cert = key, cert
        self.requests: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                outer.requests.append(query)
                granted: set[str] = set()
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    if user not in USERS or USERS[user][0] != pw:
                        self.send_response(401)
                        self.end_headers()
                        return
                    granted = USERS[user][1]
                access = []
                for scope in query.get("scope", []):
                    kind, name, actions = scope.split(":")
                    access.append({"type": kind, "name": name, "actions": sorted(set(actions.split(",")) & granted)})
                body = json.dumps({"token": outer.sign(access), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def sign(self, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}
        claims = {
            "iss": ISSUER,
            "sub": "test",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRegistry, TokenServer]]:
    work = tmp_path_factory.mktemp("token-registry")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shipyard token signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1)).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    bundle = work / "token-ca.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server = TokenServer(key, cert)
    server.thread.start()
    reg = start_registry(
        work / "registry",
        token={"realm": server.realm, "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(bundle)},
    )
    yield reg, server
    reg.stop()
    server.server.shutdown()


def client_for(reg: RunningRegistry, user: str | None) -> RegistryClient:
    creds = {reg.host: Credentials(user, USERS[user][0])} if user else {}
    return RegistryClient(ClientOptions(use_docker_config=False, credentials=creds))


def test_bearer_token_push_and_pull(token_registry: tuple[RunningRegistry, TokenServer], tmp_path: Path) -> None:
    reg, server = token_registry
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"t": b"token"})
    ref = parse_reference(reg.repo("tok/app", "v1"))
    with client_for(reg, "writer") as c:
        assert push_image(c, layout, desc, ref).digest == desc.digest
    assert any("repository:tok/app:pull,push" in q.get("scope", []) for q in server.requests)
    assert all(q.get("service") == [SERVICE] for q in server.requests)
    with client_for(reg, "reader") as c:
        assert pull_image(c, ref, OciLayout(tmp_path / "back")).digest == desc.digest
        with pytest.raises(RegistryError) as err:  # the token server grants the reader no push
            push_image(c, layout, tiny_image(layout, None, {"x": b"nope"}), parse_reference(reg.repo("tok/app", "v2")))
        assert err.value.status == 401


def test_wrong_password_is_refused_by_the_token_server(token_registry: tuple[RunningRegistry, TokenServer]) -> None:
    reg, _ = token_registry
    creds = {reg.host: Credentials("writer", "wrong")}
    with (
        RegistryClient(ClientOptions(use_docker_config=False, credentials=creds)) as c,
        pytest.raises(RegistryError, match="token server"),
    ):
        c.list_tags(parse_reference(reg.repo("tok/app")))
