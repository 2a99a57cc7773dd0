"""``set-image`` on real files keeps comments; Flux setter markers; Flux ImagePolicy selection tables
(``image-reflector-controller/internal/policy/*_test.go`` cases re-expressed)."""

from __future__ import annotations

import pytest

from shipyard.errors import SpecError
from shipyard.gitops.edit import PolicyRef, apply_setters, set_image_text
from shipyard.gitops.imagepolicy import filter_tags, parse_version, select_tag
from shipyard.gitops.promotion import make_promotion

D = "sha256:" + "c" * 64

KUST = """\
# staging overlay — edited by CI
namespace: staging
resources:
  - ../../base   # the base
images:
  # order matters not: kustomize sorts by name
  - name: zeta
    newTag: "1"  # pinned
  - name: app
    newName: registry/app
    newTag: old
"""


def test_set_image_keeps_comments_style_and_sorts() -> None:
    out = set_image_text(KUST, f"app=registry/app:new@{D}")
    assert "# staging overlay — edited by CI" in out and "# the base" in out and "# pinned" in out
    assert "  - ../../base" in out, "indented list style kept"
    assert out.index("name: app") < out.index("name: zeta")
    assert f"digest: {D}" in out and "newTag: new" in out
    assert set_image_text(out, f"app=registry/app:new@{D}") == out, "idempotent"


def test_set_image_adds_images_section() -> None:
    out = set_image_text("resources:\n- a.yaml\n", "nginx:1.25")
    assert out == "resources:\n- a.yaml\nimages:\n- name: nginx\n  newTag: '1.25'\n"


def test_set_image_rejects_bad_input() -> None:
    with pytest.raises(SpecError):
        set_image_text("- just\n- a list\n", "nginx:1")
    with pytest.raises(SpecError):
        set_image_text("images: {}\n", "nginx:1")


SETTERS = """\
spec:
  containers:
  - image: repo/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
  - image: "repo/app:1.0.0" # {"$imagepolicy": "flux-system:app"}
images:
- name: repo/app
  newName: repo/app # {"$imagepolicy": "flux-system:app:name"}
  newTag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}
  digest: x # {"$imagepolicy": "flux-system:app:digest"}
- newTag: 9.9.9 # {"$imagepolicy": "otherns:other:tag"}
"""


def test_flux_setters() -> None:
    out = apply_setters(SETTERS, {"flux-system:app": PolicyRef("repo/app", "1.2.0", D)})
    assert f"image: repo/app:1.2.0@{D} #" in out
    assert f'image: "repo/app:1.2.0@{D}" #' in out
    assert "newTag: 1.2.0 #" in out and f"digest: {D} #" in out and "newName: repo/app #" in out
    assert "newTag: 9.9.9 #" in out, "other policies untouched"
    assert apply_setters("a: b\n", {}) == "a: b\n"


TAGS = ["v1.0.0", "1.2.3", "1.2.4-rc.1", "2.0.0", "1.10.0", "v1.9.9", "latest", "1.2", "1.2.3.4"]


@pytest.mark.parametrize(
    ("policy", "want"),
    [
        ({"semver": {"range": ">=1.0.0 <2.0.0"}}, "1.10.0"),
        ({"semver": {"range": "1.2.x"}}, "1.2.3"),
        ({"semver": {"range": ">=1.2.4-rc.0 <1.2.5"}}, "1.2.4-rc.1"),
        ({"semver": {"range": "~1.9"}}, "v1.9.9"),
        ({"semver": {"range": "^2"}}, "2.0.0"),
        ({"semver": {"range": "<1.1 || >=3"}}, "v1.0.0"),
        ({"alphabetical": {}}, "v1.9.9"),
        ({"alphabetical": {"order": "desc"}}, "1.10.0"),
    ],
    ids=["range", "x-range", "prerelease-only-when-named", "tilde", "caret", "or", "alpha-asc", "alpha-desc"],
)
def test_select_tag(policy: dict[str, dict[str, str]], want: str) -> None:
    assert select_tag(TAGS, policy) == want


def test_strict_semver_parse() -> None:
    assert parse_version("v1.2.3") is not None
    assert parse_version("1.2") is None and parse_version("1.2.3.4") is None and parse_version("vv1.2.3") is None


def test_numerical_with_extract_and_errors() -> None:
    tags = ["main-abc-100", "main-def-99", "feat-x-200", "main-zzz-100"]
    spec = {"pattern": "^main-[a-z]+-(?P<ts>[0-9]+)", "extract": "$ts"}
    assert select_tag(tags, {"numerical": {"order": "asc"}}, spec) == "main-zzz-100", "duplicates: last wins"
    assert select_tag(tags, {"numerical": {"order": "desc"}}, spec) == "main-def-99"
    with pytest.raises(SpecError, match="not a number"):
        select_tag(tags, {"numerical": {}})
    with pytest.raises(SpecError, match="semver"):
        select_tag(["latest"], {"semver": {"range": ">=1.0.0"}})
    assert filter_tags(["a1", "b2"], "[0-9]") == {"a1": "a1", "b2": "b2"}, "pattern is an unanchored search"


def test_promotion_message_and_branch() -> None:
    p = make_promotion(
        "services/order-service/overlays/production", f"reg/order-service=reg/order-service:v1.2@{D}",
        source_url="https://ci/run/1", source_commit="abcdef1",
    )  # fmt: skip
    assert p.service == "order-service" and p.env == "production" and p.tag == "v1.2"
    assert p.branch == "promote/order-service/production/v1.2"
    assert p.message() == (
        "chore(production): update order-service to v1.2\n\nSource: https://ci/run/1\n"
        f"Image: reg/order-service:v1.2@{D}\n\nSource-Commit: abcdef1\n"
    )
    with pytest.raises(SpecError):
        make_promotion("services/x/overlays/s", "app:1", source_commit="not-a-sha")


_D = "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3"
_THREE = "images:\n- name: image1\n  newName: my-image1\n  newTag: my-tag1\n- name: image2\n  newName: my-image2\n" \
         "  newTag: my-tag2\n- name: image3\n  newTag: my-tag\n"  # fmt: skip


@pytest.mark.parametrize(
    ("args", "infile", "want"),
    [
        (["image1=my-image1:my-tag"], "", [{"name": "image1", "newName": "my-image1", "newTag": "my-tag"}]),
        ([f"image1=my-image1@{_D}"], "", [{"name": "image1", "newName": "my-image1", "digest": _D}]),
        (["image1:my-tag"], "", [{"name": "image1", "newTag": "my-tag"}]),
        ([f"image1@{_D}"], "", [{"name": "image1", "digest": _D}]),
        (["ngnix=localhost:5000/my-project/ngnix"], "", [{"name": "ngnix", "newName": "localhost:5000/my-project/ngnix"}]),
        (["ngnix=localhost:5000/my-project/ngnix:dev-01"], "",
         [{"name": "ngnix", "newName": "localhost:5000/my-project/ngnix", "newTag": "dev-01"}]),
        (["image1:v1"], "images:\n- name: image1\n  newTag: my-tag\n", [{"name": "image1", "newTag": "v1"}]),
        (["image1=foo.bar.foo:8800/foo/image1:foo-bar", f"image2=my-image2@{_D}", "image3:my-tag"], _THREE,
         [{"name": "image1", "newName": "foo.bar.foo:8800/foo/image1", "newTag": "foo-bar"},
          {"name": "image2", "newName": "my-image2", "digest": _D}, {"name": "image3", "newTag": "my-tag"}]),
        (["node:8.15.0", "mysql=mariadb", f"alpine@{_D}"], "",
         [{"name": "alpine", "digest": _D}, {"name": "mysql", "newName": "mariadb"}, {"name": "node", "newTag": "8.15.0"}]),
    ],
    ids=["name=newName:tag", "name=newName@digest", "name:tag", "name@digest", "newName-with-port",
         "newName-with-port-and-tag", "override-tag-replaces-entry", "multiple-args-multiple-overrides",
         "help-example-sorted-by-name"],
)  # fmt: skip
def test_set_image_documented_cases(args: list[str], infile: str, want: list[dict[str, str]]) -> None:
    """kustomize/commands/edit/set/setimage_test.go TestSetImage and the command's help example."""
    from ruamel.yaml import YAML

    out = YAML(typ="safe").load(set_image_text(infile, *args))
    assert out["images"] == want
