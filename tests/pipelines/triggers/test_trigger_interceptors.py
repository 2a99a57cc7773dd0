"""github and cel interceptors, table-driven from tektoncd/triggers ``pkg/interceptors/github/github_test.go`` and
``pkg/interceptors/cel/cel_test.go``."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from shipyard.errors import SpecError, UnsupportedError
from shipyard.pipelines.triggers.base import Code, InterceptorRequest, SecretRef, SecretStore
from shipyard.pipelines.triggers.cel import CELInterceptor
from shipyard.pipelines.triggers.github import FORM_ENCODING_MESSAGE, GitHubInterceptor, signature_error
from shipyard.pipelines.triggers.headers import canonical
from shipyard.pipelines.triggers.registry import build

SECRET = b"secret"
BODY = b'{"ref": "refs/heads/main", "head_commit": {"id": "abc123"}}'
STORE = SecretStore({"mysecret": {"token": SECRET}})
GH_PARAMS = {"secretRef": {"secretName": "mysecret", "secretKey": "token"}, "eventTypes": ["push", "pull_request"]}


def sign(body: bytes, secret: bytes = SECRET) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def request(headers: dict[str, str], body: bytes = BODY, **kw: Any) -> InterceptorRequest:
    return InterceptorRequest(body=body, header=canonical(list(headers.items())), **kw)


GOOD = sign(BODY)
GITHUB_CASES = [
    ("valid header for secret", {"X-GitHub-Event": "push", "X-Hub-Signature-256": GOOD}, True, ""),
    ("header names are case-insensitive", {"x-github-event": "push", "x-hub-signature-256": GOOD}, True, ""),
    ("no secret", {"X-GitHub-Event": "push"}, False, "no X-Hub-Signature-256 header set"),
    (
        "invalid header for secret",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(BODY, b"other")},
        False,
        "payload signature check failed",
    ),
    (
        "signature of another body",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(b"{}")},
        False,
        "payload signature check failed",
    ),
    (
        "forged signature, too short",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"},
        False,
        "payload signature check failed",
    ),
    (
        "forged signature, too long",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": GOOD + "00"},
        False,
        "payload signature check failed",
    ),
    (
        "forged signature, empty hex",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256="},
        False,
        "payload signature check failed",
    ),
    (
        "signature that is not hex",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=zz"},
        False,
        'error decoding signature "sha256=zz"',
    ),
    (
        "signature without a hash prefix",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": "abc"},
        False,
        'error parsing signature "abc"',
    ),
    (
        "legacy sha1 prefix is refused",
        {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha1=" + "0" * 40},
        False,
        'unknown hash type prefix: "sha1"',
    ),
    (
        "legacy X-Hub-Signature alone is not enough",
        {"X-GitHub-Event": "push", "X-Hub-Signature": "sha1=" + "0" * 40},
        False,
        "no X-Hub-Signature-256 header set",
    ),
    (
        "invalid event type",
        {"X-GitHub-Event": "issue_comment", "X-Hub-Signature-256": GOOD},
        False,
        "event type issue_comment is not allowed",
    ),
    ("missing event type", {"X-Hub-Signature-256": GOOD}, False, "event type  is not allowed"),
    (
        "form-encoded body is rejected",
        {"Content-Type": "application/x-www-form-urlencoded", "X-GitHub-Event": "push", "X-Hub-Signature-256": GOOD},
        False,
        FORM_ENCODING_MESSAGE,
    ),
]


@pytest.mark.parametrize(("headers", "ok", "message"), [c[1:] for c in GITHUB_CASES], ids=[c[0] for c in GITHUB_CASES])
def test_github_interceptor(headers: dict[str, str], ok: bool, message: str) -> None:
    resp = GitHubInterceptor(GH_PARAMS, STORE).process(request(headers))
    assert resp.continue_ is ok
    assert resp.message.startswith(message) if message else resp.message == ""
    if not ok:
        assert resp.code in (Code.failed_precondition, Code.invalid_argument)
        assert SECRET.decode() not in resp.message


def test_github_without_secret_or_event_types_accepts_anything() -> None:
    assert GitHubInterceptor({}, STORE).process(request({})).continue_


def test_github_missing_secret_is_a_precondition_failure() -> None:
    ic = GitHubInterceptor({"secretRef": {"secretName": "nope", "secretKey": "token"}}, STORE)
    resp = ic.process(request({"X-Hub-Signature-256": GOOD}))
    assert not resp.continue_
    assert resp.message == 'error getting secret: secrets "nope" not found'


def test_github_secret_override_from_secret_file() -> None:
    store = SecretStore({}, override=b"from-file")
    resp = GitHubInterceptor(GH_PARAMS, store).process(
        request({"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(BODY, b"from-file")})
    )
    assert resp.continue_


def test_github_changed_files_for_push() -> None:
    body = json.dumps({"commits": [{"added": ["a"], "modified": ["b"], "removed": ["c"]}]}).encode()
    resp = GitHubInterceptor({"addChangedFiles": {"enabled": True}}, STORE).process(
        request({"X-GitHub-Event": "push"}, body)
    )
    assert resp.extensions == {"changed_files": "a,b,c"}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"eventType": ["push"]}, SpecError),
        ({"eventTypes": "push"}, SpecError),
        ({"secretRef": "x"}, SpecError),
        ({"githubOwners": {"enabled": True}}, UnsupportedError),
    ],
    ids=["misspelt param", "eventTypes not a list", "secretRef not a mapping", "owners check needs the API"],
)
def test_github_bad_params(params: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        GitHubInterceptor(params, STORE)


def test_signature_error_accepts_exact_mac_only() -> None:
    assert signature_error(GOOD, BODY, SECRET) is None
    assert signature_error(GOOD.upper().replace("SHA256", "sha256"), BODY, SECRET) is None  # hex is case-insensitive
    assert signature_error("", BODY, SECRET) == "missing signature"


def test_registry_lists_valid_interceptors() -> None:
    with pytest.raises(
        SpecError,
        match=r'unknown interceptor "githbu" \(did you mean "github"\?\) \(valid: bitbucket, cel, github, gitlab\)',
    ):
        build("githbu", {}, STORE)


# ---- gitlab (gitlab_test.go) and bitbucket (bitbucket_test.go) ---------------------------------------------------
SCM_PARAMS = {"secretRef": {"secretName": "mysecret", "secretKey": "token"}, "eventTypes": ["Push Hook", "repo:push"]}
GITLAB_CASES = [
    ("valid header for secret", {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "secret"}, True, ""),
    (
        "invalid header for secret",
        {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "foo"},
        False,
        "Invalid X-GitLab-Token",
    ),
    ("no secret", {"X-Gitlab-Event": "Push Hook"}, False, "no X-GitLab-Token header set"),
    (
        "invalid event type",
        {"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": "secret"},
        False,
        "event type Tag Push Hook is not allowed",
    ),
]


@pytest.mark.parametrize(("headers", "ok", "message"), [c[1:] for c in GITLAB_CASES], ids=[c[0] for c in GITLAB_CASES])
def test_gitlab_interceptor(headers: dict[str, str], ok: bool, message: str) -> None:
    resp = build("gitlab", SCM_PARAMS, STORE).process(request(headers))
    assert (resp.continue_, resp.message) == (ok, message)


def _sha1(body: bytes, secret: bytes = SECRET) -> str:
    return "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()


BITBUCKET_CASES = [
    ("valid sha1 signature", {"X-Event-Key": "repo:push", "X-Hub-Signature": _sha1(BODY)}, True, ""),
    ("valid sha256 signature", {"X-Event-Key": "repo:push", "X-Hub-Signature": sign(BODY)}, True, ""),
    (
        "invalid signature",
        {"X-Event-Key": "repo:push", "X-Hub-Signature": _sha1(BODY, b"x")},
        False,
        "payload signature check failed",
    ),
    ("no signature", {"X-Event-Key": "repo:push"}, False, "no X-Hub-Signature header set"),
    (
        "invalid event type",
        {"X-Event-Key": "pr:opened", "X-Hub-Signature": _sha1(BODY)},
        False,
        "event type pr:opened is not allowed",
    ),
]


@pytest.mark.parametrize(
    ("headers", "ok", "message"), [c[1:] for c in BITBUCKET_CASES], ids=[c[0] for c in BITBUCKET_CASES]
)
def test_bitbucket_interceptor(headers: dict[str, str], ok: bool, message: str) -> None:
    resp = build("bitbucket", SCM_PARAMS, STORE).process(request(headers))
    assert (resp.continue_, resp.message) == (ok, message)


# ---- cel --------------------------------------------------------------------------------------------------------
CEL_BODY = json.dumps(
    {
        "value": "testing",
        "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "ref": "refs/heads/master",
        "count": 2,
        "jsonObject": {"testkey": "testvalue"},
        "jsonArray": ["one", "two"],
        "b64value": "ZXhhbXBsZQ==",
        "nested": '{"a": {"b": 1}}',
        "yaml": "a: b\nc: [1, 2]\n",
        "url": "https://user:pw@example.com:8080/testing?x=1&x=2&y=z#frag",
    }
).encode()
CEL_HEADERS = {"X-Test": "test-value", "Content-Type": "application/json", "X-Secret-Token": "secrettoken"}
CEL_STORE = SecretStore({"test-secret": {"token": b"secrettoken"}})

FILTERS = [
    ("simple body check", "body.value == 'testing'", True),
    ("simple header check", "header.match('X-Test', 'test-value')", True),
    ("header check is case-insensitive", "header.match('x-test', 'test-value')", True),
    ("header canonical", "header.canonical('x-test') == 'test-value'", True),
    ("body and header check", "body.value == 'testing' && header.match('X-Test', 'test-value')", True),
    ("single failed check", "body.value == 'test'", False),
    ("requestURL", "requestURL.startsWith('http://example.com/')", True),
    ("split", "body.ref.split('/')[2] == 'master'", True),
    ("truncate", "body.sha.truncate(7) == 'ec26c3e'", True),
    ("lowerAscii", "'TeSt'.lowerAscii() == 'test'", True),
    ("upperAscii", "'TeSt'.upperAscii() == 'TEST'", True),
    ("first", "body.jsonArray.first() == 'one'", True),
    ("last", "body.jsonArray.last() == 'two'", True),
    ("join", "body.jsonArray.join('-') == 'one-two'", True),
    ("parseJSON", "body.nested.parseJSON().a.b == 1", True),
    ("parseYAML", "body.yaml.parseYAML().a == 'b'", True),
    ("parseURL", "body.url.parseURL().host == 'example.com:8080' && body.url.parseURL().query['x'] == '1,2'", True),
    ("marshalJSON", 'body.jsonObject.marshalJSON() == \'{"testkey":"testvalue"}\'', True),
    ("compareSecret true", "header.canonical('X-Secret-Token').compareSecret('token', 'test-secret')", True),
    ("compareSecret false", "'nope'.compareSecret('token', 'test-secret')", False),
    ("translate", "'this is $test is a test'.translate('[$]', 'x') == 'this is xtest is a test'", True),
    ("base64.decode", "base64.decode(body.b64value) == b'example'", True),
    ("decodeb64 (deprecated)", "body.b64value.decodeb64() == b'example'", True),
    ("extensions", "extensions.foo == 'bar'", True),
]


@pytest.mark.parametrize(("expr", "ok"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_cel_filter(expr: str, ok: bool) -> None:
    ic = CELInterceptor({"filter": expr}, CEL_STORE)
    resp = ic.process(request(CEL_HEADERS, CEL_BODY, event_url="http://example.com/path", extensions={"foo": "bar"}))
    assert resp.continue_ is ok, resp.message
    if not ok:
        assert resp.code is Code.failed_precondition
        assert resp.message == f"expression {expr} did not return true"


OVERLAYS = [
    ("single overlay", [{"key": "new", "expression": "body.value"}], {"new": "testing"}),
    ("truncated sha", [{"key": "short_sha", "expression": "body.sha.truncate(7)"}], {"short_sha": "ec26c3e"}),
    ("dotted key nests", [{"key": "one.two", "expression": "body.value"}], {"one": {"two": "testing"}}),
    (
        "two overlays",
        [{"key": "a", "expression": "1 + 1"}, {"key": "b", "expression": "body.count > 1"}],
        {"a": 2, "b": True},
    ),
    ("list result", [{"key": "parts", "expression": "body.ref.split('/')"}], {"parts": ["refs", "heads", "master"]}),
    ("map result", [{"key": "obj", "expression": "body.jsonObject"}], {"obj": {"testkey": "testvalue"}}),
    ("bytes are base64", [{"key": "raw", "expression": "b'ab'"}], {"raw": "YWI="}),
]


@pytest.mark.parametrize(("overlays", "want"), [o[1:] for o in OVERLAYS], ids=[o[0] for o in OVERLAYS])
def test_cel_overlays(overlays: list[dict[str, str]], want: dict[str, Any]) -> None:
    resp = CELInterceptor({"overlays": overlays}, CEL_STORE).process(request(CEL_HEADERS, CEL_BODY))
    assert resp.continue_, resp.message
    assert resp.extensions == want


def test_cel_evaluation_error_is_invalid_argument() -> None:
    resp = CELInterceptor({"filter": "body.missing == 'x'"}, CEL_STORE).process(request({}, CEL_BODY))
    assert not resp.continue_
    assert resp.code is Code.invalid_argument
    assert resp.message.startswith("error evaluating cel expression")


def test_cel_non_json_body() -> None:
    resp = CELInterceptor({"filter": "true"}, CEL_STORE).process(request({}, b"not json"))
    assert not resp.continue_
    assert "failed to parse the body as JSON" in resp.message


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "body.value =="},
        {"overlays": [{"key": "k", "expression": "(("}]},
        {"filtre": "true"},
        {"overlays": [{"key": 1}]},
    ],
    ids=["filter does not parse", "overlay does not parse", "misspelt param", "overlay without expression"],
)
def test_cel_bad_params_fail_at_load(params: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        CELInterceptor(params, CEL_STORE)


def test_secret_store_errors() -> None:
    with pytest.raises(Exception, match='key "x" not found in secret "mysecret"'):
        STORE.get(SecretRef("mysecret", "x"))
