"""A pure-Python ``kustomize build`` for the subset GitOps repositories use, and ``edit set image``."""

from shipyard.gitops.kustomize.build import build
from shipyard.gitops.kustomize.kustomization import find_kustomization
from shipyard.gitops.kustomize.output import dump_documents

__all__ = ["build", "dump_documents", "find_kustomization"]
