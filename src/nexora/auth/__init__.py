"""Identity: passwords, tokens, API keys and the authenticated actor."""
