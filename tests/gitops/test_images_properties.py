"""Properties of the image edit and rewrite rules over generated names, tags and digests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.gitops.edit import set_image_text
from shipyard.gitops.kustomize.images import Image, is_image_matched, rewrite, set_image, split

segment = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)
repo = st.builds(lambda parts, reg: "/".join([*([reg] if reg else []), *parts]),
                 st.lists(segment, min_size=1, max_size=3),
                 st.one_of(st.none(), st.from_regex(r"[a-z]{1,6}\.(io|com)(:[0-9]{2,5})?", fullmatch=True)))  # fmt: skip
tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
digest = st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(repo, st.one_of(st.none(), tag), st.one_of(st.none(), digest))
def test_split_round_trips_and_matches_its_name(name: str, t: str | None, d: str | None) -> None:
    image = name + (f":{t}" if t else "") + (f"@{d}" if d else "")
    assert split(image) == (name, t or "", d or "")
    assert is_image_matched(image, name.replace(".", r"\."))


@settings(max_examples=80, deadline=None)
@given(repo, repo, tag, st.one_of(st.none(), digest))
def test_rewrite_then_match_new_name(old: str, new: str, t: str, d: str | None) -> None:
    out = rewrite(f"{old}:0", Image(old, new_name=new, new_tag=t, digest=d or ""))
    assert split(out) == (new, t, d or "")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(repo, tag), min_size=1, max_size=5))
def test_set_image_sorted_unique_and_idempotent(edits: list[tuple[str, str]]) -> None:
    entries: list[dict[str, str]] = []
    text = "resources:\n- a.yaml  # keep me\n"
    for name, t in edits:
        entries = set_image(entries, f"{name}:{t}")
        text = set_image_text(text, f"{name}:{t}")
    names = [e["name"] for e in entries]
    assert names == sorted(set(names))
    assert "# keep me" in text
    for name, t in edits[-1:]:
        assert set_image_text(text, f"{name}:{t}") == text
