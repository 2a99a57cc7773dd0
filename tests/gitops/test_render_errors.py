"""Bad kustomizations are clear errors naming what is wrong, never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.errors import SpecError, UnsupportedError
from shipyard.gitops.kustomize import build

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "error", "match"),
    [
        ({"kustomization.yaml": "resourcs:\n- a.yaml\n"}, SpecError, 'did you mean "resources"'),
        ({"kustomization.yaml": "helmCharts:\n- name: x\n"}, UnsupportedError, "helmCharts"),
        ({"kustomization.yaml": "resources:\n- missing.yaml\n"}, SpecError, "missing.yaml"),
        ({"kustomization.yaml": "resources:\n- https://example.com/x.yaml\n"}, UnsupportedError, "remote resource"),
        ({"kustomization.yaml": "resources:\n- a.yaml\n- b.yaml\n", "a.yaml": CM, "b.yaml": CM}, SpecError,
         "already registered id"),
        ({"kustomization.yaml": "configMapGenerator:\n- name: x\n  files:\n  - ../../etc/passwd\n"}, SpecError,
         "not in or below"),
        ({"kustomization.yaml": "resources:\n- a.yaml\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n"
          "    metadata:\n      name: other\n", "a.yaml": CM}, SpecError, "no resource matches"),
        ({"kustomization.yaml": "resources:\n- a.yaml\npatches:\n- patch: |\n    - op: add\n      path: /x\n      value: 1\n",
          "a.yaml": CM}, SpecError, "JSON6902 patch needs a target"),
        ({"kustomization.yaml": "resources:\n- sub\n", "sub/kustomization.yaml": "resources:\n- ..\n"}, SpecError, "cycle"),
        ({"kustomization.yaml": "components:\n- comp\n", "comp/kustomization.yaml": "resources: []\n"}, SpecError,
         "not 'Component'"),
        ({"kustomization.yaml": "resources:\n- a.yaml\n", "a.yaml": "kind: [unclosed\n"}, SpecError, "invalid YAML"),
        ({"kustomization.yaml": "configMapGenerator:\n- name: x\n  envs:\n  - e.env\n", "e.env": "JUSTAKEY\n"}, SpecError,
         "environment lookups"),
        ({"kustomization.yaml": "resources:\n- a.yaml\nlabels:\n- pairs: {a: b}\n  fields:\n  - {path: x, bogus: 1}\n",
          "a.yaml": CM}, SpecError, "field spec takes path, kind, group, version and create"),
        ({"kustomization.yaml": "images:\n- name: app\n  newTag: 1.10\n"}, SpecError, r"images\[0\]\.newTag: must be a string"),
        ({"kustomization.yaml": "commonLabels:\n  version: 1\n"}, SpecError, "commonLabels.version: must be a string"),
        ({"kustomization.yaml": "resources: [cr.yaml]\nconfigMapGenerator:\n- {name: cfg, namespace: a, literals: [x=1]}\n"
          "- {name: cfg, namespace: b, literals: [x=2]}\n", "cr.yaml": "apiVersion: rbac.authorization.k8s.io/v1\n"
          "kind: ClusterRole\nmetadata: {name: cr}\nrules: [{resources: [configmaps], resourceNames: [cfg]}]\n"},
         SpecError, "multiple possible referrals"),
        ({"kustomization.yaml": "resources: [a.yaml]\nreplicas:\n- {name: c, count: 2}\n", "a.yaml": CM}, SpecError,
         "resource with name 'c' does not match"),
        ({"kustomization.yaml": "resources: [a.yaml]\npatches:\n- patch: |\n    kind: ConfigMap\n    metadata:\n"
          "      name: c\n      $deleteFromPrimitiveList/finalizers: [x]\n", "a.yaml": CM}, UnsupportedError,
         r"\$deleteFromPrimitiveList/finalizers"),
        ({"kustomization.yaml": "resources: [a.yaml]\npatches:\n- patch: |\n    kind: ConfigMap\n    metadata: {name: c}\n"
          "    $retainKeys: [data]\n", "a.yaml": CM}, UnsupportedError, r"\$retainKeys"),
        ({"kustomization.yaml": "namespace: n\nresources: [a.yaml]\npatches:\n- patch: |\n    kind: ConfigMap\n"
          "    metadata: {name: c, namespace: other}\n", "a.yaml": CM}, SpecError, "no resource matches"),
        ({"in/kustomization.yaml": "resources: [../a.yaml]\n", "a.yaml": CM}, SpecError, "not in or below"),
        ({"in/kustomization.yaml": "resources: [a.yaml]\npatches:\n- path: ../p.yaml\n", "in/a.yaml": CM,
          "p.yaml": CM}, SpecError, "not in or below"),
        ({"kustomization.yaml": "sortOptions: {order: random}\n"}, SpecError, "legacy or fifo"),
        ({"kustomization.yaml": "resources: [l.yaml]\n", "l.yaml": "apiVersion: v1\nkind: List\nitems: [1, 2]\n"},
         SpecError, "List.items must be a list of mappings"),
        ({"kustomization.yaml": "configurations: [c.yaml]\n", "c.yaml": "namePrefix:\n- path: metadata/name\n"},
         UnsupportedError, "'namePrefix' in configurations"),
        ({"kustomization.yaml": "configurations: [gone.yaml]\n"}, SpecError, "configuration file 'gone.yaml' not found"),
    ],
    ids=["unknown-field", "helm", "missing-file", "remote", "duplicate-id", "generator-escape", "smp-no-match",
         "json6902-no-target", "cycle", "component-kind", "malformed-manifest", "env-without-value", "labels-fields-bad-spec",
         "numeric-newTag-like-kustomize", "numeric-label", "nameref.go-selectReferral-ambiguous",
         "replicacount.go-no-match", "kyaml-leaves-deleteFromPrimitiveList", "kyaml-leaves-retainKeys",
         "smp-namespace-is-part-of-the-id", "loader-rootonly-resource-file", "loader-rootonly-patch-file",
         "sortOptions-order", "malformed-List-items", "configurations-unsupported-section",
         "configurations-missing-file"],
)  # fmt: skip
def test_bad_kustomizations(tmp_path: Path, files: dict[str, str], error: type[Exception], match: str) -> None:
    root = tree(tmp_path, files)
    with pytest.raises(error, match=match):
        build(root / "in" if (root / "in").is_dir() else root)


def test_a_symlink_out_of_the_kustomization_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text(CM)
    root = tree(tmp_path / "k", {"kustomization.yaml": "resources: [link.yaml]\n"})
    (root / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(SpecError, match=r"security; file 'link\.yaml' is not in or below"):
        build(root)


def test_a_boundary_confines_bases_too(tmp_path: Path) -> None:
    """kustomize lets bases live anywhere; a repository checkout must not reach outside itself (``../../etc``)."""
    tree(tmp_path, {"outside/kustomization.yaml": "resources: [a.yaml]\n", "outside/a.yaml": CM,
                    "repo/app/kustomization.yaml": "resources: [../../outside]\n"})  # fmt: skip
    assert build(tmp_path / "repo/app")[0]["metadata"]["name"] == "c"
    with pytest.raises(SpecError, match="outside the repository"):
        build(tmp_path / "repo/app", boundary=tmp_path / "repo")


def test_selector_patch_matching_nothing_is_a_noop_like_kustomize(tmp_path: Path) -> None:
    root = tree(tmp_path, {"kustomization.yaml": "resources:\n- a.yaml\npatches:\n- target: {kind: Secret}\n"
                           "  patch: |\n    - op: add\n      path: /x\n      value: 1\n", "a.yaml": CM})  # fmt: skip
    assert build(root) == [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]


@pytest.mark.parametrize(
    ("base_opts", "overlay", "hashed"),
    [
        ("", "", True),
        ("", "  options: {disableNameSuffixHash: true}\n", False),
        ("", "  options: {disableNameSuffixHash: false}\n", True),
        ("  options: {disableNameSuffixHash: true}\n", "  options: {disableNameSuffixHash: false}\n", False),
        ("  options: {disableNameSuffixHash: true}\n", "G", False),
    ],
    ids=[
        "kept",
        "overlay-disables",
        "overlay-false-keeps",
        "overlay-cannot-re-enable",
        "global-false-cannot-re-enable",
    ],
)
def test_generator_merge_hash_rules_as_kubectl(tmp_path: Path, base_opts: str, overlay: str, hashed: bool) -> None:
    """Checked against kubectl kustomize 5.8 for merge and replace alike."""
    glob = "generatorOptions: {disableNameSuffixHash: false}\n" if overlay == "G" else ""
    for behavior in ("merge", "replace"):
        root = tree(tmp_path / behavior, {
            "b/kustomization.yaml": f"configMapGenerator:\n- name: c\n  literals: [a=1]\n{base_opts}",
            "o/kustomization.yaml": f"resources: [../b]\n{glob}configMapGenerator:\n- name: c\n  behavior: {behavior}\n"
                                    f"  literals: [b=2]\n{'' if overlay == 'G' else overlay}",
        })  # fmt: skip
        assert (build(root / "o")[0]["metadata"]["name"] != "c") is hashed


BOMB = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nx:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"  {n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))
)


@pytest.mark.parametrize("where", ["resource", "patch", "kustomization"])
def test_a_yaml_alias_bomb_is_refused_not_walked(tmp_path: Path, where: str) -> None:
    """Nine levels of nine aliases are ~43 million nodes once expanded; every transformer would walk them."""
    files = {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": BOMB}
    if where == "patch":
        files = {"kustomization.yaml": "resources: [c.yaml]\npatches: [{path: p.yaml}]\n", "c.yaml": CM,
                 "p.yaml": BOMB.replace("name: bomb", "name: c")}  # fmt: skip
    if where == "kustomization":
        files = {"kustomization.yaml": BOMB.split("x:\n", 1)[1].replace("  ", "", 1).replace("\n  ", "\n")}
    with pytest.raises(SpecError, match="alias bomb"):
        build(tree(tmp_path, files))
