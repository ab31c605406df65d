"""Project vaults: the artifacts playbook stages and people deliver, kept as versioned files
in a folder or a git repository (one commit per delivery)."""
