"""Base templates, static assets and the pages every node shares (login, home)."""
