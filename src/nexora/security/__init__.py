"""Guards that judge what a tool is about to do: shell commands, Python code and file paths."""
