"""The ``gitlab`` interceptor (tektoncd/triggers ``pkg/interceptors/gitlab/gitlab.go``): ``eventTypes`` against
``X-Gitlab-Event``, then ``X-Gitlab-Token`` compared in constant time with the secret."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from shipyard.errors import NotFoundError
from shipyard.pipelines.triggers import scm
from shipyard.pipelines.triggers.base import Code, InterceptorRequest, InterceptorResponse, SecretGetter
from shipyard.pipelines.triggers.headers import get


class GitLabInterceptor:
    def __init__(self, params: Mapping[str, Any], secrets: SecretGetter) -> None:
        scm.check_params(params, ("eventTypes", "secretRef"), "gitlab")
        self.event_types = scm.event_types(params)
        self.secret_ref = scm.secret_ref(params)
        self._secrets = secrets

    def process(self, request: InterceptorRequest) -> InterceptorResponse:
        event = get(request.header, "X-GitLab-Event")
        if self.event_types is not None and event not in self.event_types:
            return InterceptorResponse.fail(Code.failed_precondition, f"event type {event} is not allowed")
        if self.secret_ref is not None:
            if not self.secret_ref.secret_key:
                return InterceptorResponse.fail(
                    Code.failed_precondition, "gitlab interceptor secretRef.secretKey is empty"
                )
            token = get(request.header, "X-GitLab-Token")
            if not token:
                return InterceptorResponse.fail(Code.invalid_argument, "no X-GitLab-Token header set")
            try:
                secret = self._secrets.get(self.secret_ref)
            except NotFoundError as exc:
                return InterceptorResponse.fail(Code.failed_precondition, f"error getting secret: {exc}")
            if not hmac.compare_digest(token.encode(), secret):
                return InterceptorResponse.fail(Code.invalid_argument, "Invalid X-GitLab-Token")
        return InterceptorResponse.ok()
