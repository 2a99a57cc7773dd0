"""HTTP plumbing for the Distribution API: base URLs, authentication, retries, error translation.

Every request goes through ``RegistryHTTP.request``: a 401 answers the ``WWW-Authenticate`` challenge once
(Basic, or a Bearer token fetched from the realm with the request's scope); 429/5xx answers and connection
errors are retried with exponential backoff; httpx exceptions never leave this module (they become
``RegistryError`` with the original as ``__cause__``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Self

import httpx

from shipyard.errors import RegistryError, UnsupportedError
from shipyard.images.reference import Reference
from shipyard.registry.auth import Credentials, docker_config_credentials, parse_challenge

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
Body = bytes | Callable[[], Iterable[bytes]] | None


@dataclass
class ClientOptions:
    """How a ``RegistryClient`` talks: TLS, credentials, retry policy and upload sizes."""

    insecure: bool = False  # plain HTTP (and no TLS verification) for every registry, like docker's insecure-registries
    credentials: Mapping[str, Credentials] = field(default_factory=dict)  # keyed by registry host[:port]
    use_docker_config: bool = True
    retries: int = 5
    backoff: float = 0.05  # seconds; doubled per attempt
    timeout: float = 120.0
    chunk_size: int = 32 << 20  # PATCH size for chunked uploads
    monolithic_max: int = 1 << 30  # blobs up to this size stream in one PUT (resumed by PATCH if it breaks)
    sleep: Callable[[float], None] = time.sleep


def registry_error(resp: httpx.Response, what: str) -> RegistryError:
    """Turn a Distribution error body (``{"errors":[{"code","message","detail"}]}``) into a RegistryError."""
    code = None
    detail = resp.reason_phrase
    try:
        errors = json.loads(resp.content).get("errors") or []
        if errors:
            code = str(errors[0].get("code"))
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except (ValueError, AttributeError):
        text = resp.text.strip()[:200] if resp.content else ""
        detail = text or detail
    return RegistryError(f"{what}: HTTP {resp.status_code} {detail}", status=resp.status_code, code=code)


class RegistryHTTP:
    def __init__(self, options: ClientOptions | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.options = options or ClientOptions()
        self._http = httpx.Client(
            transport=transport, timeout=self.options.timeout, follow_redirects=True, verify=not self.options.insecure
        )
        self._auth: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def base_url(self, ref: Reference) -> str:
        host = "registry-1.docker.io" if ref.domain == "docker.io" else ref.domain
        # Docker talks plain HTTP to loopback registries and to those marked insecure.
        scheme = "http" if self.options.insecure or ref.is_loopback() else "https"
        return f"{scheme}://{host}"

    def url(self, ref: Reference, suffix: str) -> str:
        return f"{self.base_url(ref)}/v2/{ref.path}/{suffix}"

    def credentials_for(self, registry: str) -> Credentials | None:
        if registry in self.options.credentials:
            return self.options.credentials[registry]
        if self.options.use_docker_config:
            return docker_config_credentials(registry)
        return None

    def _auth_header(self, registry: str, scope: str) -> str | None:
        return self._auth.get((registry, scope)) or self._auth.get((registry, "*"))

    def _authenticate(self, resp: httpx.Response, registry: str, scopes: Sequence[str]) -> None:
        header = resp.headers.get("www-authenticate")
        if not header:
            raise RegistryError(f"{registry} answered 401 without a WWW-Authenticate challenge", status=401)
        challenge = parse_challenge(header)
        creds = self.credentials_for(registry)
        key = " ".join(scopes)
        if challenge.scheme == "basic":
            if creds is None:
                raise RegistryError(
                    f"{registry} requires a username and password: add them to ~/.docker/config.json "
                    "(docker login) or pass credentials",
                    status=401,
                    code="UNAUTHORIZED",
                )
            self._auth[(registry, "*")] = creds.basic_header()
        elif challenge.scheme == "bearer":
            self._auth[(registry, key)] = "Bearer " + self._fetch_token(challenge.params, creds, scopes)
        else:
            raise UnsupportedError(
                f"{registry} asks for {challenge.scheme!r} authentication; shipyard speaks basic and bearer"
            )

    def _fetch_token(self, params: Mapping[str, str], creds: Credentials | None, scopes: Sequence[str]) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError("bearer challenge without a realm", status=401)
        query: list[tuple[str, str | int | float | bool | None]] = []
        if params.get("service"):
            query.append(("service", params["service"]))
        wanted = list(scopes) or ([params["scope"]] if params.get("scope") else [])
        try:
            if creds is not None and creds.identity_token:
                form = {"grant_type": "refresh_token", "refresh_token": creds.identity_token, "client_id": "shipyard"}
                form.update({k: str(v) for k, v in query})
                if wanted:
                    form["scope"] = " ".join(wanted)
                resp = self._http.post(realm, data=form)
            else:
                query.extend(("scope", s) for s in wanted)
                auth = (creds.username, creds.password) if creds is not None and creds.username else None
                resp = self._http.get(realm, params=tuple(query), auth=auth)
        except httpx.HTTPError as exc:
            raise RegistryError(f"cannot reach token server {realm}: {exc}") from exc
        if resp.status_code != 200:
            raise registry_error(resp, f"token server {realm} refused")
        try:
            data = resp.json()
        except ValueError as exc:
            raise RegistryError(f"token server {realm} returned invalid JSON") from exc
        token = data.get("token") or data.get("access_token")
        if not token:
            raise RegistryError(f"token server {realm} returned no token")
        return str(token)

    def request(
        self,
        method: str,
        ref: Reference,
        url: str,
        *,
        scopes: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        body: Body = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one logical request: answer auth challenges, retry transient failures, translate errors."""
        registry = ref.domain
        key = " ".join(scopes)
        attempt = 0
        authed = False
        while True:
            hdrs = dict(headers or {})
            auth = self._auth_header(registry, key)
            if auth:
                hdrs["Authorization"] = auth
            content = body() if callable(body) else body
            try:
                req = self._http.build_request(method, url, headers=hdrs, content=content, params=params)
                resp = self._http.send(req, stream=stream)
            except httpx.TransportError as exc:
                if retry and attempt < self.options.retries:
                    self.options.sleep(self.options.backoff * 2**attempt)
                    attempt += 1
                    continue
                raise RegistryError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
            except httpx.HTTPError as exc:
                raise RegistryError(f"{method} {url}: {exc}") from exc
            if resp.status_code == 401 and not authed:
                if stream:
                    resp.close()
                self._authenticate(resp, registry, scopes)
                authed = True
                continue
            if resp.status_code in RETRY_STATUS and retry and attempt < self.options.retries:
                if stream:
                    resp.close()
                self.options.sleep(self.options.backoff * 2**attempt)
                attempt += 1
                continue
            return resp
