"""Agents: YAML configuration on disk, the database index, and the active-agent pool."""
