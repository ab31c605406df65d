"""Chat routing: a fast answer, a single agent with tools, or a team, per message."""
