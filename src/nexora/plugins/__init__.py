"""Plugins: Python packages that add tools, model providers or channels through the
`nexora.plugins` entry point group, enabled per org by a capability change (see `host`,
`enablement`, and `api` for what a plugin implements)."""
