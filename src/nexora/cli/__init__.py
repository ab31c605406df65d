"""The `nexora` command: one module per command group."""
