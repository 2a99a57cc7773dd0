"""YAML-facing models of every kind shipyard reads, and the loader that keeps file and line of every node."""

from shipyard.resources.loader import Document, load_documents, load_file, loads
from shipyard.resources.validate import Issues, validate_model

__all__ = ["Document", "Issues", "load_documents", "load_file", "loads", "validate_model"]
