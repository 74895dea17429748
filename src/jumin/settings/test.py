"""Settings for the test suite: demo secrets allowed, fast password hashing, SQLite unless told otherwise."""

import os

os.environ.setdefault("JUMIN_DEMO", "1")
os.environ.setdefault("JUMIN_DATABASE_URL", "sqlite:///var/test.sqlite3")

from jumin.settings.base import *  # noqa: F403

# Argon2 stays the production hasher; tests use MD5 only to keep thousands of logins fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test-only app with models that hold an encrypted 個人番号 (tests/crypto/testapp); never in a node.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.crypto.testapp"]  # noqa: F405

# Most tests want a job done when its transaction commits; tests/test_task_worker.py switches to the
# database backend of normal runs and drives the worker itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
