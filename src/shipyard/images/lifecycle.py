"""ECR lifecycle policies ("Lifecycle policy properties" and "examples" in the Amazon ECR User Guide).

Rules run in ``rulePriority`` order (lowest first; a ``tagStatus: any`` rule must come last). A rule *selects*
images by tag status and ``tagPrefixList``/``tagPatternList`` (every prefix/pattern in the list must match
some tag of the image; ``*`` wildcards, at most four). ``imageCountMoreThan`` keeps the newest N selected
images (by push time) and marks the rest; ``sinceImagePushed`` marks those older than N days. An image is
expired by at most one rule, and an image selected by a higher-priority rule can never be expired by a lower
one — but it still counts when a lower rule counts its images (ECR's Example A: rule 2 marks images A and B,
A is already expired by rule 1 and B, seen by rule 1, is skipped). ``plan`` is pure: it takes ``now``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.errors import FieldIssue, SpecError, SpecErrors

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Rule:
    priority: int
    description: str
    tag_status: str  # tagged | untagged | any
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...]
    count_type: str  # imageCountMoreThan | sinceImagePushed
    count_number: int

    def selects(self, tags: Sequence[str]) -> bool:
        if self.tag_status == "untagged":
            return not tags
        if self.tag_status == "any":
            return True
        if not tags:
            return False
        if self.prefixes:
            return all(any(t.startswith(p) for t in tags) for p in self.prefixes)
        return all(any(_wildcard(p).fullmatch(t) for t in tags) for p in self.patterns)

    def label(self) -> str:
        return f"rule {self.priority}" + (f" ({self.description})" if self.description else "")


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


@dataclass(frozen=True, slots=True)
class Image:
    digest: str
    tags: tuple[str, ...]
    pushed_at: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class Decision:
    image: Image
    expire: bool
    rule: int | None  # priority of the rule that decided, None when no rule selected it
    reason: str


def load_policy(text: str, file: str = "policy.json") -> list[Rule]:
    """Parse and validate a policy, reporting every problem with its JSON path."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SpecError(f"not valid JSON: {exc}", file=file) from exc
    issues: list[FieldIssue] = []

    def bad(path: str, message: str) -> None:
        issues.append(FieldIssue(message, file=file, path=path))

    raw_rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(raw_rules, list) or not raw_rules:
        raise SpecError("a lifecycle policy needs a non-empty rules list", file=file, path="rules")
    rules: list[Rule] = []
    for i, r in enumerate(raw_rules):
        p = f"rules[{i}]"
        if not isinstance(r, dict):
            bad(p, "a rule must be an object")
            continue
        for key in r:
            if key not in ("rulePriority", "description", "selection", "action"):
                bad(f"{p}.{key}", "unknown field")
        sel_raw = r.get("selection")
        sel: dict[str, Any] = sel_raw if isinstance(sel_raw, dict) else {}
        if not isinstance(sel_raw, dict):
            bad(f"{p}.selection", "a rule needs a selection object")
        for key in sel:
            if key not in ("tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"):
                bad(f"{p}.selection.{key}", "unknown field (storageClass and transition actions are not supported)")
        prio = r.get("rulePriority")
        if not isinstance(prio, int) or isinstance(prio, bool) or prio < 1:
            bad(f"{p}.rulePriority", "must be a positive integer")
            prio = 0
        action = r.get("action")
        if not isinstance(action, dict) or action.get("type") != "expire":
            bad(f"{p}.action.type", "must be 'expire'")
        status = sel.get("tagStatus")
        if status not in ("tagged", "untagged", "any"):
            bad(f"{p}.selection.tagStatus", "must be tagged, untagged or any")
        prefixes, patterns = sel.get("tagPrefixList"), sel.get("tagPatternList")
        if status == "tagged" and bool(prefixes) == bool(patterns):
            bad(f"{p}.selection", "tagStatus tagged needs exactly one of tagPrefixList or tagPatternList")
        if status in ("untagged", "any") and (prefixes or patterns):
            bad(f"{p}.selection", f"tagStatus {status} takes no tagPrefixList or tagPatternList")
        for j, pat in enumerate(patterns or []):
            if str(pat).count("*") > 4:
                bad(f"{p}.selection.tagPatternList[{j}]", "at most 4 wildcards (*) per pattern")
        count_type, unit, number = sel.get("countType"), sel.get("countUnit"), sel.get("countNumber")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            bad(f"{p}.selection.countType", "must be imageCountMoreThan or sinceImagePushed")
        if count_type == "sinceImagePushed" and unit != "days":
            bad(f"{p}.selection.countUnit", "sinceImagePushed needs countUnit 'days'")
        if count_type == "imageCountMoreThan" and unit is not None:
            bad(f"{p}.selection.countUnit", "imageCountMoreThan takes no countUnit")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            bad(f"{p}.selection.countNumber", "must be a positive integer")
            number = 1
        rules.append(
            Rule(
                prio,
                str(r.get("description", "")),
                str(status),
                tuple(map(str, prefixes or ())),
                tuple(map(str, patterns or ())),
                str(count_type),
                number,
            )
        )
    seen: dict[int, int] = {}
    for i, rule in enumerate(rules):
        if rule.priority in seen:
            bad(
                f"rules[{i}].rulePriority",
                f"duplicate rulePriority {rule.priority} (also rules[{seen[rule.priority]}])",
            )
        seen[rule.priority] = i
    if rules:
        top = max(r.priority for r in rules)
        for i, rule in enumerate(rules):
            if rule.tag_status == "any" and rule.priority != top:
                bad(f"rules[{i}].rulePriority", "a rule with tagStatus any must have the highest rulePriority")
    if issues:
        raise SpecErrors(issues)
    return sorted(rules, key=lambda r: r.priority)


def plan(rules: Sequence[Rule], images: Sequence[Image], *, now: float) -> list[Decision]:
    """One decision per image, newest first: expire or keep, and which rule said so and why."""
    decided: dict[str, Decision] = {}
    claimed: set[str] = set()
    for rule in sorted(rules, key=lambda r: r.priority):
        selected = sorted((img for img in images if rule.selects(img.tags)), key=lambda i: (-i.pushed_at, i.digest))
        for rank, img in enumerate(selected):
            if rule.count_type == "imageCountMoreThan":
                marked = rank >= rule.count_number
                why = f"{rule.label()}: newest {rule.count_number} of {len(selected)} selected are kept; this is #{rank + 1}"
            else:
                age_days = (now - img.pushed_at) / DAY
                marked = age_days > rule.count_number
                why = f"{rule.label()}: pushed {age_days:.1f} days ago, limit {rule.count_number} days"
            if img.digest in claimed:
                continue  # selected by a higher-priority rule: counted above, never expired here
            decided[img.digest] = Decision(img, marked, rule.priority, why)
        claimed.update(img.digest for img in selected)
    out = [decided.get(img.digest) or Decision(img, False, None, "no rule selects it") for img in images]
    return sorted(out, key=lambda d: (-d.image.pushed_at, d.image.digest))


def summary(decisions: Sequence[Decision]) -> dict[str, Any]:
    return {
        "expire": [d.image.digest for d in decisions if d.expire],
        "keep": [d.image.digest for d in decisions if not d.expire],
    }
