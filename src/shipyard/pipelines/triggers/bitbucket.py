"""The ``bitbucket`` interceptor (tektoncd/triggers ``pkg/interceptors/bitbucket/bitbucket.go``): ``eventTypes``
against ``X-Event-Key``, then Bitbucket Server's ``X-Hub-Signature`` HMAC (go-github ``ValidateSignature``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.errors import NotFoundError
from shipyard.pipelines.triggers import scm
from shipyard.pipelines.triggers.base import Code, InterceptorRequest, InterceptorResponse, SecretGetter
from shipyard.pipelines.triggers.headers import get


class BitbucketInterceptor:
    def __init__(self, params: Mapping[str, Any], secrets: SecretGetter) -> None:
        scm.check_params(params, ("eventTypes", "secretRef"), "bitbucket")
        self.event_types = scm.event_types(params)
        self.secret_ref = scm.secret_ref(params)
        self._secrets = secrets

    def process(self, request: InterceptorRequest) -> InterceptorResponse:
        event = get(request.header, "X-Event-Key")
        if self.event_types is not None and event not in self.event_types:
            return InterceptorResponse.fail(Code.failed_precondition, f"event type {event} is not allowed")
        if self.secret_ref is not None:
            if not self.secret_ref.secret_key:
                return InterceptorResponse.fail(
                    Code.failed_precondition, "bitbucket interceptor secretRef.secretKey is empty"
                )
            signature = get(request.header, "X-Hub-Signature")
            if not signature:
                return InterceptorResponse.fail(Code.invalid_argument, "no X-Hub-Signature header set")
            try:
                secret = self._secrets.get(self.secret_ref)
            except NotFoundError as exc:
                return InterceptorResponse.fail(Code.failed_precondition, f"error getting secret: {exc}")
            problem = scm.signature_error(signature, request.body, secret)
            if problem is not None:
                return InterceptorResponse.fail(Code.failed_precondition, problem)
        return InterceptorResponse.ok()
