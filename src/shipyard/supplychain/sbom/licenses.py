"""Declared licence strings → SPDX license expressions (SPDX 2.3 annex D), via the SPDX licence list.

A string that is an expression of SPDX ids (any case) is rendered with the ids' canonical case. Anything else (``GPL-3+`` from a Debian copyright file, a URL in a jar manifest) becomes a
``LicenseRef-`` id, carried with its original text, so documents stay valid without inventing a meaning.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache

from license_expression import ExpressionError, Licensing, get_spdx_licensing  # type: ignore[import-untyped]

_REF_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@dataclass(frozen=True, slots=True)
class SpdxLicense:
    expression: str
    """A valid SPDX expression: canonical ids, or a ``LicenseRef-`` id."""
    text: str
    """The declared text."""
    is_ref: bool
    is_single_id: bool


@lru_cache(maxsize=4096)
def to_spdx(declared: str) -> SpdxLicense:
    text = declared.strip()
    licensing = _licensing()
    # license-expression raises AttributeError on some malformed keys (URLs): such a licence is treated as unknown.
    with contextlib.suppress(ExpressionError, AttributeError, TypeError, ValueError):
        info = licensing.validate(text)
        rendered = str(info.normalized_expression or "")
        # Strict: only the SPDX ids themselves, never the library's aliases ("GPL" is not GPL-1.0-or-later).
        if not info.errors and rendered and rendered.lower() == " ".join(text.split()).lower():
            parsed = licensing.parse(text)
            single = len(licensing.license_keys(parsed)) == 1 and " " not in rendered
            return SpdxLicense(rendered, text, False, single)
    ref = "LicenseRef-" + (_REF_CHARS.sub("-", text.replace("+", "-plus")).strip("-") or "unknown")
    return SpdxLicense(ref, text, True, True)
