"""Image matching, splitting, rewriting and ``kustomize edit set image`` semantics, table-style, from kustomize's
``api/internal/image/image_test.go``, ``api/filters/imagetag/imagetag_test.go`` and
``kustomize/commands/edit/set/setimage_test.go``."""

from __future__ import annotations

import pytest

from shipyard.errors import SpecError
from shipyard.gitops.kustomize.images import Image, is_image_matched, rewrite, set_image, split

D = "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3"

MATCH = [
    ("nginx", "nginx", True),
    ("nginx:1.2", "nginx", True),
    (f"nginx@{D}", "nginx", True),
    (f"nginx:1.2@{D}", "nginx", True),
    ("nginx-api:1", "nginx", False),
    ("x/nginx:1", "nginx", False),
    ("123.dkr.ecr.eu-west-1.amazonaws.com/order-service:abc", "order-service", False),
    (
        "123.dkr.ecr.eu-west-1.amazonaws.com/order-service:abc",
        "123.dkr.ecr.eu-west-1.amazonaws.com/order-service",
        True,
    ),
    ("myprivaterepohostname:1234/my/image:v1", "myprivaterepohostname:1234/my/image", True),
    ("nginx:{{tag}}", "nginx", True),
    ("nginx@sha512:abc", "nginx", True),
    ("nginx", "[", False),
    ("123.dkr.ecr.eu-west-1.amazonaws.com/order-service:abc", "*/order-service", True),
    ("x/order-service", "*/order-service", True),
    ("order-service:abc", "*/order-service", False),
    ("x/order-service-api:1", "*/order-service", False),
    ("x/order-service:1", "x/order-service|order-service", True),
    ("y/order-service:1", "x/order-service|order-service", True),
]


@pytest.mark.parametrize(
    ("value", "name", "want"),
    MATCH,
    ids=[
        "bare", "tag", "digest", "tag+digest", "prefix-is-not-a-match", "path-is-not-a-match",
        "registry-anchored-trap", "full-repository", "registry-port", "tagWithBraces", "sha512", "invalid-regex-noop",
        "RE2-star-anchor-suffix-match", "RE2-star-anchor-short-path", "RE2-star-needs-a-slash",
        "RE2-star-still-anchored-at-end", "go-MatchString-searches-alternation", "alternation-second-branch-unanchored",
    ],
)  # fmt: skip
def test_is_image_matched(value: str, name: str, want: bool) -> None:
    assert is_image_matched(value, name) is want


@pytest.mark.parametrize(
    ("image", "want"),
    [
        ("nginx", ("nginx", "", "")),
        ("nginx:1.2.3", ("nginx", "1.2.3", "")),
        (f"foo.com:443/nginx:1.2.3@{D}", ("foo.com:443/nginx", "1.2.3", D)),
        ("localhost:5000/a/b", ("localhost:5000/a/b", "", "")),
        (f"nginx@{D}", ("nginx", "", D)),
    ],
    ids=["bare", "tag", "port-tag-digest", "port-no-tag", "digest-only"],
)
def test_split(image: str, want: tuple[str, str, str]) -> None:
    assert split(image) == want


@pytest.mark.parametrize(
    ("value", "img", "want"),
    [
        ("nginx:1", Image("nginx", new_tag="2"), "nginx:2"),
        (f"nginx:1@{D}", Image("nginx", new_tag="2"), "nginx:2"),
        ("nginx:1", Image("nginx", digest=D), f"nginx@{D}"),
        ("nginx:1", Image("nginx", new_name="r/nginx"), "r/nginx:1"),
        ("nginx:1", Image("nginx", new_name="r/nginx", new_tag="2", digest=D), f"r/nginx:2@{D}"),
        ("nginx:1", Image("nginx", tag_suffix="-x"), "nginx:1-x"),
        (f"nginx:1@{D}", Image("nginx", tag_suffix="-x"), "nginx:1-x"),
        ("nginx", Image("nginx", new_tag="2"), "nginx:2"),
    ],
    ids=["newTag", "newTag-drops-digest", "digest-drops-tag", "newName-keeps-tag", "all-three",
         "updateimagesuffix", "suffix-drops-digest", "untagged-gets-tag"],
)  # fmt: skip
def test_rewrite(value: str, img: Image, want: str) -> None:
    assert rewrite(value, img) == want


def test_set_image_forms_and_sorting() -> None:
    images: list[dict[str, str]] = [{"name": "zeta", "newTag": "1"}]
    images = set_image(images, "postgres=eu.gcr.io/my-project/postgres:latest")
    images = set_image(images, f"my-app=my-registry/my-app@{D}")
    images = set_image(images, "node:8.15.0")
    images = set_image(images, "mysql=mariadb")
    images = set_image(images, f"alpine@{D}")
    assert images == [
        {"name": "alpine", "digest": D},
        {"name": "my-app", "newName": "my-registry/my-app", "digest": D},
        {"name": "mysql", "newName": "mariadb"},
        {"name": "node", "newTag": "8.15.0"},
        {"name": "postgres", "newName": "eu.gcr.io/my-project/postgres", "newTag": "latest"},
        {"name": "zeta", "newTag": "1"},
    ]


def test_set_image_replaces_whole_entry_and_star_keeps() -> None:
    base = [{"name": "app", "newName": "r/app", "newTag": "1", "digest": D}]
    assert set_image(base, "app:2") == [{"name": "app", "newTag": "2"}]
    assert set_image(base, "app=*:2") == [{"name": "app", "newName": "r/app", "newTag": "2"}]
    assert set_image(base, "app=*:*@*") == base
    assert set_image([], "app=*:3") == [{"name": "app", "newTag": "3"}]
    assert set_image(base, f"app=r2/app:5@{D}") == [{"name": "app", "newName": "r2/app", "newTag": "5", "digest": D}]


@pytest.mark.parametrize("arg", ["nginx", "", "=x:1", "a="], ids=["bare-name", "empty", "no-key", "no-value"])
def test_set_image_rejects(arg: str) -> None:
    with pytest.raises(SpecError):
        set_image([], arg)
