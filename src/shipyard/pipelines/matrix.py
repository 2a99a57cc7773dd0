"""Matrix fan-out exactly as Tekton's ``Matrix.FanOut`` (pkg/apis/pipeline/v1/matrix_types.go).

- combinations are built param by param with ``distribute``: the outer loop is over the *new* param's values and
  the inner loop over the existing combinations, so the **first param varies fastest**;
- every include entry is merged into each combination that ``contains`` it (all of the entry's keys that the
  combination has carry the same value); an entry that shares no name=value pair with any combination is
  appended as a new one (``shouldAddNewCombination``), so one that matches only partly is dropped;
- with include and no params, exactly the include entries are the combinations.
"""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.pipelines.substitution import Value

Combination = dict[str, str]
MAX_COMBINATIONS = 256  # config-defaults default-max-matrix-combinations-count


def _contains(combination: Combination, include: Combination) -> bool:
    return all(combination[k] == v for k, v in include.items() if k in combination)


def fan_out(params: Sequence[tuple[str, Value]], include: Sequence[Combination]) -> list[Combination]:
    """``params``: (name, array value) in declaration order; ``include``: name→string value entries."""
    includes = [dict(entry) for entry in include]
    if includes and not params:
        return includes
    combinations: list[Combination] = []
    for name, value in params:
        values = value if isinstance(value, list) else [value] if isinstance(value, str) else list(value.values())
        if not combinations:
            combinations = [{name: v} for v in values]
            continue
        combinations = [{**c, name: v} for v in values for c in combinations]
    for entry in includes:
        for c in combinations:
            if _contains(c, entry):
                c.update(entry)
    for entry in includes:
        # shouldAddNewCombination: appended only when no combination (the ones appended before it included)
        # shares any name=value pair with it; an entry that partly matches is neither merged nor added.
        if entry and not any(c.get(k) == v for c in combinations for k, v in entry.items() if k in c):
            combinations.append(dict(entry))
    return combinations


def has_empty_array(params: Sequence[tuple[str, Value]]) -> bool:
    """``skipBecauseEmptyArrayInMatrixParams``: any matrix param whose array value is empty."""
    return any(isinstance(v, list) and not v for _, v in params)
