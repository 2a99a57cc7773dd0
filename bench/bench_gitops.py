"""Render an overlay of 500 resources with shipyard's kustomize and with the real ``kubectl kustomize`` in the same
run; the outputs must be equal (after YAML normalisation) for the timing to count. Goal: no slower."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from shipyard.gitops.kustomize import build, dump_documents

KUBECTL = Path(sys.executable).parent / "kubectl"
N = 500  # resources in the rendered output


def _write_overlay(root: Path) -> Path:
    base = root / "base"
    base.mkdir()
    files = []
    for i in range(N // 2 - 1):
        (base / f"app{i}.yaml").write_text(
            f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app{i}}}
  template:
    metadata:
      labels: {{app: app{i}}}
    spec:
      containers:
      - name: main
        image: registry.example.com:5000/team/app{i}:1.0.{i}
        envFrom:
        - configMapRef: {{name: settings}}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: app{i}
spec:
  selector: {{app: app{i}}}
  ports:
  - port: 80
    targetPort: 8080
"""
        )
        files.append(f"app{i}.yaml")
    (base / "kustomization.yaml").write_text(
        "resources:\n" + "".join(f"- {f}\n" for f in files)
        + "configMapGenerator:\n- name: settings\n  literals:\n  - MODE=base\n"
    )  # fmt: skip
    overlay = root / "overlay"
    overlay.mkdir()
    images = "".join(
        f"- name: registry.example.com:5000/team/app{i}\n  newTag: 2.0.{i}\n" for i in range(0, N // 2 - 1, 3)
    )
    (overlay / "kustomization.yaml").write_text(
        f"""namespace: prod
namePrefix: prod-
commonLabels:
  env: prod
commonAnnotations:
  owner: platform
resources:
- ../base
configMapGenerator:
- name: settings
  behavior: merge
  literals:
  - MODE=prod
- name: extra
  literals:
  - A=1
patches:
- target:
    kind: Deployment
    name: app1.*
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: main
            env:
            - name: REGION
              value: eu
images:
{images}"""
    )
    return overlay


def _time(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return out


def main() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        overlay = _write_overlay(Path(tmp))
        y = YAML(typ="safe", pure=True)
        ours_text = dump_documents(build(overlay))
        theirs_text = subprocess.run(
            [str(KUBECTL), "kustomize", str(overlay)], capture_output=True, text=True, check=True
        ).stdout
        ours, theirs = list(y.load_all(ours_text)), list(y.load_all(theirs_text))
        if ours != theirs:
            raise AssertionError("shipyard render differs from kubectl kustomize on the benchmark overlay")
        repeat = 5
        t_ours = _time(lambda: dump_documents(build(overlay)), repeat)
        t_theirs = _time(
            lambda: subprocess.run([str(KUBECTL), "kustomize", str(overlay)], capture_output=True, check=True), repeat
        )
    m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
    return {
        "resources": len(ours),
        "shipyard_render_median_s": round(m_ours, 4),
        "kubectl_kustomize_median_s": round(m_theirs, 4),
        "speedup_vs_kubectl": round(m_theirs / m_ours, 2),
        "outputs_equal": True,
    }


if __name__ == "__main__":
    print(main())
