"""Governance: secrets now; grants, approvals, audit and usage as they arrive."""
