"""Agent memory: core blocks, episodic and archival items, retrieval, and how memory evolves."""
