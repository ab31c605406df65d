"""Persistence: engine, ORM models and migrations, on SQLite or PostgreSQL."""
