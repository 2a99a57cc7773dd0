"""Dockerfile parsing: ``load_dockerfile(text, file)`` gives stages of raw instructions; see parser.py."""

from shipyard.images.dockerfile.expand import Lexer
from shipyard.images.dockerfile.parser import Heredoc, RawInstruction, parse_dockerfile
from shipyard.images.dockerfile.stages import Dockerfile, Stage, load_dockerfile, needed_stages

__all__ = [
    "Dockerfile",
    "Heredoc",
    "Lexer",
    "RawInstruction",
    "Stage",
    "load_dockerfile",
    "needed_stages",
    "parse_dockerfile",
]
