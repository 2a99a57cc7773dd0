"""Bearer-token auth (distribution docs/spec/auth/token.md) against an in-process fake registry + token server."""

from __future__ import annotations

import base64
import json

import httpx

from shipyard.images.reference import parse_reference
from shipyard.registry.auth import Credentials, parse_challenge
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions


def test_parse_challenge_with_quoted_commas() -> None:
    ch = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'
    )
    assert ch.scheme == "bearer"
    assert ch.params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:a/b:pull,push",
    }


def test_bearer_challenge_token_and_scopes() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "auth.example":
            assert request.headers["authorization"] == "Basic " + base64.b64encode(b"carol:pw").decode()
            scopes = request.url.params.get_list("scope")
            return httpx.Response(200, json={"token": "tok-" + ",".join(scopes)})
        if request.headers.get("authorization", "").startswith("Bearer tok-repository:team/app:pull"):
            return httpx.Response(200, json={"name": "team/app", "tags": ["v1", "v2"]})
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="reg.example"'},
            json={"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
        )

    opts = ClientOptions(use_docker_config=False, credentials={"reg.example": Credentials("carol", "pw")})
    with RegistryClient(opts, transport=httpx.MockTransport(handler)) as c:
        ref = parse_reference("reg.example/team/app:v1")
        assert c.list_tags(ref) == ["v1", "v2"]
        assert c.list_tags(ref) == ["v1", "v2"]  # the token is cached: no second challenge
    hosts = [r.url.host for r in seen]
    assert hosts == ["reg.example", "auth.example", "reg.example", "reg.example"]
    assert seen[1].url.params["service"] == "reg.example"
    assert seen[1].url.params.get_list("scope") == ["repository:team/app:pull"]


def test_identity_token_uses_oauth2_refresh_grant() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "refresh-me"
            return httpx.Response(200, content=json.dumps({"access_token": "acc"}))
        if request.headers.get("authorization") == "Bearer acc":
            return httpx.Response(200, json={"tags": []})
        return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/token"'})

    opts = ClientOptions(use_docker_config=False, credentials={"reg.example": Credentials(identity_token="refresh-me")})
    with RegistryClient(opts, transport=httpx.MockTransport(handler)) as c:
        assert c.list_tags(parse_reference("reg.example/x")) == []


def test_https_for_remote_http_for_loopback_and_insecure() -> None:
    with RegistryClient(ClientOptions(use_docker_config=False)) as c:
        assert c.base_url(parse_reference("ghcr.io/a/b")) == "https://ghcr.io"
        assert c.base_url(parse_reference("busybox")) == "https://registry-1.docker.io"
        assert c.base_url(parse_reference("127.0.0.1:5000/a")) == "http://127.0.0.1:5000"
        assert c.base_url(parse_reference("localhost:5000/a")) == "http://localhost:5000"
    with RegistryClient(ClientOptions(use_docker_config=False, insecure=True)) as c:
        assert c.base_url(parse_reference("reg.internal:5000/a")) == "http://reg.internal:5000"
