"""Chat apps: adapters per platform, and the one pipeline every inbound message and reply takes."""
