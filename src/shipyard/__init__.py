"""shipyard: commit-to-production delivery on one machine, compatible with Tekton, Argo, Flux and Cosign."""

__version__ = "0.1.0"
