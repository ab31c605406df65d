"""Agent Skills: folders with a `SKILL.md` in the open Agent Skills format, found in the
built-in, org and agent skill directories, scanned before install, and disclosed to the model
progressively (names and descriptions in the prompt, the body when it asks for it)."""
