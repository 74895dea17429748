"""Django settings per node kind. Everything comes from the environment (see settings/base.py)."""
