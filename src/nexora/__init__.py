"""Nexora: a self-hosted AI agent workspace for teams."""

__version__ = "0.1.0"
