"""Where the shared upstream material (corpus, vectors, data) is: beside the checkout, or ``SHIPYARD_SHARED``."""

from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[3]


def find_shared() -> Path:
    env = os.environ.get("SHIPYARD_SHARED")
    if env:
        return Path(env)
    for candidate in (_CHECKOUT.parent / "shared", _CHECKOUT.parent.parent / "shared", Path("/work/shared")):
        if (candidate / "corpus").is_dir():
            return candidate
    raise RuntimeError("cannot find the shared/ directory beside the checkout; set SHIPYARD_SHARED")


SHARED = find_shared()
