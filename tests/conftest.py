"""Shared fixtures. Tests run against the database JUMIN_DATABASE_URL names (SQLite by default)."""
