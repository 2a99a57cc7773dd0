"""ECR lifecycle rule selection (Amazon ECR User Guide: lifecycle policy properties and examples)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shipyard.errors import SpecError
from shipyard.images.lifecycle import DAY, Image, load_policy, plan

NOW = 1_700_000_000.0


def img(name: str, tags: list[str], days_ago: float) -> Image:
    return Image(f"sha256:{name}", tuple(tags), NOW - days_ago * DAY)


def expired(policy: str, images: list[Image]) -> list[str]:
    return sorted(d.image.digest.split(":")[1] for d in plan(load_policy(policy), images, now=NOW) if d.expire)


def rules_json(*rules: str) -> str:
    return '{"rules": [' + ",".join(rules) + "]}"


def rule(prio: int, selection: str) -> str:
    return f'{{"rulePriority": {prio}, "selection": {selection}, "action": {{"type": "expire"}}}}'


# ECR User Guide "Filtering on multiple rules", Example A and Example B.
EXAMPLE_A = rules_json(
    rule(1, '{"tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 1}'),
    rule(2, '{"tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan", "countNumber": 1}'),
)
EXAMPLE_B = rules_json(
    rule(
        1,
        '{"tagStatus": "tagged", "tagPrefixList": ["beta", "prod"], "countType": "imageCountMoreThan", "countNumber": 1}',
    ),
    rule(2, '{"tagStatus": "tagged", "tagPrefixList": ["beta"], "countType": "imageCountMoreThan", "countNumber": 1}'),
)

CASES = [
    (
        "ecr-example-a-claimed-image-is-skipped",
        EXAMPLE_A,
        [img("A", ["beta-1", "prod-1"], 10), img("B", ["beta-2", "prod-2"], 9), img("C", ["beta-3"], 8)],
        ["A"],
    ),
    (
        "ecr-example-b-every-prefix-must-match",
        EXAMPLE_B,
        [img("A", ["beta-1", "prod-1"], 10), img("B", ["beta-2", "prod-2"], 9), img("C", ["beta-3", "prod-3"], 8)],
        ["A", "B"],
    ),
    (
        "keep-one-untagged",
        rules_json(rule(1, '{"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}')),
        [img("u1", [], 3), img("u2", [], 2), img("u3", [], 1), img("t", ["v1"], 9)],
        ["u1", "u2"],
    ),
    (
        "age-with-pattern",
        rules_json(
            rule(
                1,
                '{"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}',
            )
        ),
        [img("old", ["prod-1"], 15), img("new", ["prod-2"], 13), img("other", ["dev-1"], 30)],
        ["old"],
    ),
    (
        "pattern-list-all-must-match",
        rules_json(
            rule(
                1,
                '{"tagStatus": "tagged", "tagPatternList": ["*-rc*", "v*"], "countType": "imageCountMoreThan", "countNumber": 1}',
            )
        ),
        [img("a", ["v1-rc1"], 3), img("b", ["v2-rc1"], 2), img("c", ["x-rc1"], 1)],
        ["a"],
    ),
    (
        "any-rule-last-sweeps-the-rest",
        rules_json(
            rule(
                1,
                '{"tagStatus": "tagged", "tagPrefixList": ["release"], "countType": "imageCountMoreThan", "countNumber": 1}',
            ),
            rule(2, '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2}'),
        ),
        [
            img("r1", ["release-1"], 9),
            img("r2", ["release-2"], 8),
            img("x", ["dev"], 7),
            img("y", [], 6),
            img("z", ["dev2"], 1),
        ],
        # rule 2 counts every image (newest z, y kept), r1/r2 were selected by rule 1 and are not its to expire
        ["r1", "x"],
    ),
]


@pytest.mark.parametrize(("policy", "images", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_selection(policy: str, images: list[Image], want: list[str]) -> None:
    assert expired(policy, images) == want


def seed_policy(shared: Path) -> str:
    text = (shared / "seed" / "000_865a13df24b6fcbd.txt").read_text()
    match = re.search(r"--lifecycle-policy '(\{.*?\})'", text, re.S)
    assert match is not None, "the seed's ECR lifecycle policy is missing"
    return match.group(1)


def test_seed_policy(shared: Path) -> None:
    """The seed: keep v* forever, keep the last 50 sha- images, expire untagged after 7 days."""
    policy = seed_policy(shared)
    rules = load_policy(policy)
    assert [r.priority for r in rules] == [1, 2, 3]
    images = [img(f"v{i}", [f"v1.{i}.0"], 400 + i) for i in range(3)]
    images += [img(f"s{i:02d}", [f"sha-{i:07x}"], i) for i in range(55)]  # s00 newest … s54 oldest
    images.append(img("both", ["v2.0.0", "sha-fffffff"], 999))  # claimed by rule 1: never expired by rule 2
    images += [img("u-new", [], 6.5), img("u-old", [], 7.5)]
    images.append(img("latest-only", ["latest"], 100))  # selected by no rule ("sha-" must prefix some tag)
    decisions = {d.image.digest.split(":")[1]: d for d in plan(rules, images, now=NOW)}
    gone = sorted(k for k, d in decisions.items() if d.expire)
    # rule 2 counts "both" among its 56 candidates, keeps the newest 50 (s00..s49), and may expire s50..s54
    assert gone == ["s50", "s51", "s52", "s53", "s54", "u-old"]
    assert decisions["both"].rule == 1 and not decisions["both"].expire
    assert decisions["latest-only"].reason == "no rule selects it"
    assert "limit 7 days" in decisions["u-old"].reason
    assert "#51" in decisions["s50"].reason


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        (
            rules_json(rule(1, '{"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1}')),
            "rules[0].selection",
        ),
        (
            rules_json(
                rule(
                    1,
                    '{"tagStatus": "untagged", "tagPrefixList": ["x"], "countType": "imageCountMoreThan", "countNumber": 1}',
                )
            ),
            "rules[0].selection",
        ),
        (
            rules_json(rule(1, '{"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 1}')),
            "rules[0].selection.countUnit",
        ),
        (
            rules_json(rule(1, '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0}')),
            "rules[0].selection.countNumber",
        ),
        (
            rules_json(
                rule(
                    1,
                    '{"tagStatus": "tagged", "tagPatternList": ["*a*b*c*d*e*"], "countType": "imageCountMoreThan", "countNumber": 1}',
                )
            ),
            "rules[0].selection.tagPatternList[0]",
        ),
        (
            rules_json(
                rule(1, '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}'),
                rule(2, '{"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}'),
            ),
            "rules[0].rulePriority",
        ),
        (
            rules_json(
                rule(3, '{"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}'),
                rule(3, '{"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 2}'),
            ),
            "rules[1].rulePriority",
        ),
        (
            rules_json(
                rule(
                    1,
                    '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1, "storageClass": "archive"}',
                )
            ),
            "rules[0].selection.storageClass",
        ),
    ],
    ids=[
        "tagged-needs-list",
        "untagged-no-list",
        "days-unit",
        "count-positive",
        "five-wildcards",
        "any-not-last",
        "duplicate-priority",
        "unsupported-field",
    ],
)
def test_invalid_policies_name_the_field(policy: str, path: str) -> None:
    with pytest.raises(SpecError) as err:
        load_policy(policy, "policy.json")
    assert path in [i.path for i in err.value.issues]
    assert all(i.file == "policy.json" for i in err.value.issues)
