"""Django's SQLite backend with a process-wide gate in front of write transactions (``base``)."""
