"""Pipeline engine benchmark (issue 2).

1. A 500-task fan-out/fan-in pipeline of ``true`` steps run by the real engine (store, planner, executor), against
   the bare cost of spawning the same 500 ``true`` processes with the same parallelism, in the same run; the
   difference per task is the engine's overhead (goal: < 5 ms). The executor alone (sandbox + spawn, no engine) is
   measured too, so the pipeline layer's own share is visible.
2. Planning a 10,000-task DAG: building the run state (DAG, cycle check) and driving the planner to the end with
   every TaskRun succeeding, no processes (goal: < 1 s).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

N_TASKS = 500
PARALLEL = 2
N_PLAN = 10_000


def _fan_pipeline(n: int) -> dict[str, Any]:
    step = {"name": "t", "image": "busybox", "command": ["true"]}
    tasks: list[dict[str, Any]] = [{"name": "start", "taskSpec": {"steps": [step]}}]
    middle = [f"m{i}" for i in range(n - 2)]
    tasks += [{"name": m, "runAfter": ["start"], "taskSpec": {"steps": [step]}} for m in middle]
    tasks.append({"name": "end", "runAfter": middle, "taskSpec": {"steps": [step]}})
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "fan"},
        "spec": {"pipelineSpec": {"tasks": tasks}},
    }


def _bare_spawn(n: int) -> float:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda _: subprocess.run(["true"], check=True), range(n)))
    return time.perf_counter() - t0


def _executor_only(n: int, root: Path) -> float:
    from shipyard.runtime.base import Sandbox, StepSpec
    from shipyard.runtime.local import LocalExecutor

    ex = LocalExecutor()
    step = StepSpec(name="step-t", image="busybox", command=("true",))

    def one(i: int) -> None:
        d = root / f"x{i}"
        sb = Sandbox(tekton_dir=d / "tekton", workspace_dir=d / "workspace", root_dir=d / "root")
        ex.run([step], sb, on_output=lambda *_: None, cancel=threading.Event())

    t0 = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(one, range(n)))
    return time.perf_counter() - t0


class _NoopExecutor:
    """Every step "completes" at once: what is left is the engine's own cost (store, planner, sandbox dirs)."""

    def run(self, steps: Any, sandbox: Any, *, on_output: Any, cancel: Any, deadline: Any = None) -> Any:
        from shipyard.runtime.base import StepOutcome, TerminationReason

        now = time.time()
        return [StepOutcome(s.name, 0, TerminationReason.completed, now, now) for s in steps]


def _engine(n: int, home: Path, executor: Any = None) -> tuple[float, str]:
    from prometheus_client import CollectorRegistry

    from shipyard.controllers.pipelines import PipelineService

    svc = PipelineService(home, registry=CollectorRegistry(), parallel=PARALLEL, executor=executor)
    t0 = time.perf_counter()
    obj = svc.run(_fan_pipeline(n))
    elapsed = time.perf_counter() - t0
    svc.close()
    return elapsed, obj["status"]["conditions"][0]["message"]


def _plan(n: int) -> dict[str, float]:
    from shipyard.pipelines.resolve import Catalog, new_run_state
    from shipyard.pipelines.simulate import simulate
    from shipyard.resources.tekton import PipelineRun

    rng = random.Random(7)
    step = {"image": "busybox", "command": ["true"]}
    tasks = []
    for i in range(n):
        deps = sorted({f"t{rng.randrange(i)}" for _ in range(min(i, 3))}) if i else []
        tasks.append({"name": f"t{i}", "runAfter": deps, "taskSpec": {"steps": [step]}})
    doc = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "big"},
        "spec": {"pipelineSpec": {"tasks": tasks}},
    }
    t0 = time.perf_counter()
    model = PipelineRun.model_validate(doc)
    t1 = time.perf_counter()
    c1 = time.thread_time()
    state = new_run_state(model, Catalog(), name="big", uid="u", now=0.0)
    t2 = time.perf_counter()
    started = simulate(state)
    t3 = time.perf_counter()
    c3 = time.thread_time()
    assert len(started) == n and state.condition is not None and state.condition["reason"] == "Succeeded"
    return {
        "parse_s": round(t1 - t0, 3),
        "build_state_s": round(t2 - t1, 3),
        "schedule_s": round(t3 - t2, 3),
        "plan_total_s": round(t3 - t1, 3),
        # CPU time of the same work: the machine is shared, so wall time includes other people's load.
        "plan_total_cpu_s": round(c3 - c1, 3),
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _bare_spawn(20)  # warm up
        bare = _bare_spawn(N_TASKS)
        executor = _executor_only(N_TASKS, root / "exec")
        engine, message = _engine(N_TASKS, root / "home")
        engine_noop, _ = _engine(N_TASKS, root / "home-noop", _NoopExecutor())
    planning = _plan(N_PLAN)
    per = lambda s: round(s / N_TASKS * 1000 * PARALLEL, 2)  # noqa: E731 - ms of worker time per task
    return {
        "tasks": N_TASKS,
        "parallel": PARALLEL,
        "final_message": message,
        "bare_spawn_s": round(bare, 3),
        "executor_only_s": round(executor, 3),
        "engine_s": round(engine, 3),
        "bare_spawn_ms_per_task": per(bare),
        "engine_overhead_ms_per_task_vs_bare_spawn": per(engine - bare),
        "engine_overhead_ms_per_task_vs_executor": per(engine - executor),
        "engine_only_ms_per_task_noop_executor": per(engine_noop),
        "executor_sandbox_ms_per_task": per(executor - bare),
        "plan_tasks": N_PLAN,
        **{f"plan_{k}": v for k, v in planning.items()},
        "goals": "overhead < 5 ms/task; planning 10,000 tasks < 1 s",
    }


if __name__ == "__main__":
    for k, v in main().items():
        print(f"{k}: {v}")
