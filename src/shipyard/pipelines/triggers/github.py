"""The ``github`` interceptor (tektoncd/triggers ``pkg/interceptors/github/github.go``).

Order and messages are upstream's: a form-encoded body is refused (InvalidArgument); ``eventTypes`` is matched
against ``X-GitHub-Event`` (FailedPrecondition ``event type X is not allowed``); with ``secretRef`` the
``X-Hub-Signature-256`` header must hold ``sha256=<hex HMAC-SHA256(secret, raw body)>``, checked in constant time
(go-github ``ValidateSignature`` messages). ``addChangedFiles`` is honoured for push events from the payload itself;
for pull requests and ``githubOwners`` it needs the GitHub API, which this local listener does not call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.errors import NotFoundError, UnsupportedError
from shipyard.pipelines.triggers import gojson, scm
from shipyard.pipelines.triggers.base import Code, InterceptorRequest, InterceptorResponse, SecretGetter
from shipyard.pipelines.triggers.headers import get

FORM_ENCODING_MESSAGE = "form parameter encoding not supported, please change the hook to send JSON payloads"
_PARAMS = ("eventTypes", "secretRef", "addChangedFiles", "githubOwners")


def signature_error(header: str, body: bytes, secret: bytes) -> str | None:
    """``X-Hub-Signature-256`` must be ``sha256=``; the legacy SHA-1 form is not accepted."""
    return scm.signature_error(header, body, secret, ("sha256",))


class GitHubInterceptor:
    def __init__(self, params: Mapping[str, Any], secrets: SecretGetter) -> None:
        scm.check_params(params, _PARAMS, "github")
        self.event_types = scm.event_types(params)
        self.secret_ref = scm.secret_ref(params)
        changed = params.get("addChangedFiles") or {}
        self.add_changed_files = bool(isinstance(changed, Mapping) and changed.get("enabled"))
        owners = params.get("githubOwners") or {}
        if isinstance(owners, Mapping) and owners.get("enabled"):
            raise UnsupportedError("github interceptor githubOwners needs the GitHub API; shipyard does not call it")
        self._secrets = secrets

    def process(self, request: InterceptorRequest) -> InterceptorResponse:
        header = request.header
        if get(header, "Content-Type") == "application/x-www-form-urlencoded":
            return InterceptorResponse.fail(Code.invalid_argument, FORM_ENCODING_MESSAGE)
        event = get(header, "X-GitHub-Event")
        if self.event_types is not None and event not in self.event_types:
            return InterceptorResponse.fail(Code.failed_precondition, f"event type {event} is not allowed")
        if self.secret_ref is not None:
            if not self.secret_ref.secret_key:
                return InterceptorResponse.fail(
                    Code.failed_precondition, "github interceptor secretRef.secretKey is empty"
                )
            signature = get(header, "X-Hub-Signature-256")
            if not signature:
                return InterceptorResponse.fail(Code.failed_precondition, "no X-Hub-Signature-256 header set")
            try:
                secret = self._secrets.get(self.secret_ref)
            except NotFoundError as exc:
                return InterceptorResponse.fail(Code.failed_precondition, f"error getting secret: {exc}")
            problem = signature_error(signature, request.body, secret)
            if problem is not None:
                return InterceptorResponse.fail(Code.failed_precondition, problem)
        if self.add_changed_files and event == "push":
            return self._changed_files(request.body)
        if self.add_changed_files and event == "pull_request":
            return InterceptorResponse.fail(
                Code.failed_precondition, "error getting changed files: pull_request needs the GitHub API"
            )
        return InterceptorResponse.ok()

    @staticmethod
    def _changed_files(body: bytes) -> InterceptorResponse:
        try:
            payload = gojson.loads(body) if body else None
        except ValueError as exc:
            return InterceptorResponse.fail(Code.failed_precondition, f"error parsing body: {exc}")
        if not isinstance(payload, dict):
            return InterceptorResponse.fail(Code.failed_precondition, "error parsing body: body is empty")
        files: list[str] = []
        for commit in payload.get("commits") or []:
            for key in ("added", "modified", "removed"):
                names = commit.get(key) if isinstance(commit, dict) else None
                if not isinstance(names, list):
                    return InterceptorResponse.fail(
                        Code.failed_precondition, f"error parsing body: payload body missing 'commits.*.{key}' field"
                    )
                files.extend(str(n) for n in names)
        return InterceptorResponse.ok({"changed_files": ",".join(files)})
