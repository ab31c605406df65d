"""Agent memory: core blocks, episodic and archival items, and their hybrid retrieval."""
