"""Pharmacy agent copilot: grounded reply drafts and a deterministic safety gate."""

__version__ = "0.1.0"
