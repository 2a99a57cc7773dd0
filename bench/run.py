"""`make bench`: run every bench/bench_*.py and print its figures.

Each module has ``main() -> dict`` returning the figures it measured (ratios against a baseline or peer measured
in the same run, since these machines are shared and noisy). Results are also written to bench/out/latest.json.
Run one with ``python bench/run.py pipelines``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results: dict[str, object] = {}
    failed = False
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            figures = module.main()
        except Exception:
            traceback.print_exc()
            failed = True
            results[name] = {"error": traceback.format_exc(limit=3)}
            continue
        figures = dict(figures)
        figures["wall_seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = figures
        for key, value in figures.items():
            print(f"   {key}: {value}", flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
