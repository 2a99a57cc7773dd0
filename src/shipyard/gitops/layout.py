"""The seed's GitOps repository layout as files: ``services/<S>/base`` (Deployment + Service) and
``services/<S>/overlays/<ENV>`` (namespace + ``images:`` entry CI bumps), plus an Argo CD Application per
(service, environment). Pure: returns ``{path: text}``; ``shipyard.vcs.git.init_repo`` writes it into git."""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.gitops.app import AppSpec

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
  labels:
    app: {svc}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {svc}
  template:
    metadata:
      labels:
        app: {svc}
    spec:
      containers:
      - name: {svc}
        image: {image}:latest
        ports:
        - containerPort: {port}
        readinessProbe:
          httpGet:
            path: /healthz
            port: {port}
"""
_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {svc}
spec:
  selector:
    app: {svc}
  ports:
  - port: 80
    targetPort: {port}
"""
_BASE = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
- service.yaml
"""
_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# {env} overlay of {svc}; CI promotes by editing images[] below (shipyard gitops promote)
namespace: {env}
resources:
- ../../base
images:
- name: {image}
  newTag: latest
"""


def seed_layout(
    services: Sequence[str],
    registry: str,
    *,
    envs: Sequence[str] = ("staging", "production"),
    port: int = 8080,
    replicas: int = 2,
) -> dict[str, str]:
    files: dict[str, str] = {
        "README.md": "# GitOps repository\n\nOne directory per service; overlays per environment.\n"
    }
    for svc in services:
        image = f"{registry.rstrip('/')}/{svc}"
        base = f"services/{svc}/base"
        files[f"{base}/kustomization.yaml"] = _BASE
        files[f"{base}/deployment.yaml"] = _DEPLOYMENT.format(svc=svc, image=image, port=port, replicas=replicas)
        files[f"{base}/service.yaml"] = _SERVICE.format(svc=svc, port=port)
        for env in envs:
            files[f"services/{svc}/overlays/{env}/kustomization.yaml"] = _OVERLAY.format(svc=svc, env=env, image=image)
    return files


def seed_app(service: str, env: str, repo_url: str, *, automated: bool = True, branch: str = "main") -> AppSpec:
    """The Application the seed pairs with an overlay: auto-sync with prune and selfHeal."""
    return AppSpec(
        name=f"{service}-{env}", namespace="argocd", repo_url=repo_url, path=f"services/{service}/overlays/{env}",
        revision=branch, dest_namespace=env, automated=automated, prune=automated, self_heal=automated,
    )  # fmt: skip
