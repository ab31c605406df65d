"""Organizations, projects and users, always managed in the scope of an actor."""
