"""The interceptor contract (tektoncd/triggers ``pkg/apis/triggers/v1beta1/interceptor_types.go``).

An interceptor is built once from its ``params`` (so bad params are load-time errors) and then ``process``es one
request per event. Responses carry ``continue`` and, when an interceptor stops the chain, a gRPC-style status code
and message, exactly as the upstream interceptor servers answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shipyard.errors import NotFoundError
from shipyard.pipelines.triggers.headers import Header


class Code(enum.StrEnum):
    # google.golang.org/grpc/codes names, as interceptor responses report them.
    ok = "OK"
    invalid_argument = "InvalidArgument"
    failed_precondition = "FailedPrecondition"
    internal = "Internal"


@dataclass(frozen=True, slots=True)
class InterceptorRequest:
    body: bytes
    header: Header
    extensions: Mapping[str, Any] = field(default_factory=dict)
    event_url: str = ""
    event_id: str = ""
    trigger_id: str = ""  # "namespaces/<ns>/triggers/<name>"


@dataclass(frozen=True, slots=True)
class InterceptorResponse:
    continue_: bool
    extensions: Mapping[str, Any] = field(default_factory=dict)
    code: Code = Code.ok
    message: str = ""

    @classmethod
    def ok(cls, extensions: Mapping[str, Any] | None = None) -> InterceptorResponse:
        return cls(continue_=True, extensions=dict(extensions or {}))

    @classmethod
    def fail(cls, code: Code, message: str) -> InterceptorResponse:
        return cls(continue_=False, code=code, message=message)


@dataclass(frozen=True, slots=True)
class SecretRef:
    secret_name: str
    secret_key: str


class SecretGetter(Protocol):
    def get(self, ref: SecretRef) -> bytes:
        """The secret's value; raises ``NotFoundError`` when the Secret or key does not exist."""


class Interceptor(Protocol):
    def process(self, request: InterceptorRequest) -> InterceptorResponse: ...


InterceptorFactory = Callable[[Mapping[str, Any], SecretGetter], Interceptor]


class SecretStore:
    """Secrets read from the resource files (``data`` base64, ``stringData`` plain), optionally overridden by one
    value for every reference (``--secret-file``)."""

    def __init__(self, secrets: Mapping[str, Mapping[str, bytes]] | None = None, *, override: bytes | None = None):
        self._secrets = {k: dict(v) for k, v in (secrets or {}).items()}
        self._override = override

    def get(self, ref: SecretRef) -> bytes:
        if self._override is not None:
            return self._override
        secret = self._secrets.get(ref.secret_name)
        if secret is None:
            raise NotFoundError(f'secrets "{ref.secret_name}" not found')
        if ref.secret_key not in secret:
            raise NotFoundError(f'key "{ref.secret_key}" not found in secret "{ref.secret_name}"')
        return secret[ref.secret_key]

    def names(self) -> Sequence[str]:
        return sorted(self._secrets)
