"""A sender node in its own process and its own SQLite database, for test_kill.py.

``python sender_process.py enqueue N``: migrate, store N messages (subject s1), then deliver.
``python sender_process.py deliver``: deliver until nothing is pending; prints ``PENDING <n>``.
The node directory, database and timings come from the environment the test sets.
"""

from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
django.setup()

from django.core.management import call_command  # noqa: E402 (Django must be set up first)
from django.db import transaction  # noqa: E402

from jumin.domain.errors import refusal  # noqa: E402
from jumin.messaging import handlers, services, tasks  # noqa: E402
from jumin.messaging.envelope import NodeRef  # noqa: E402


def validate(payload: dict[str, object]) -> None:
    if set(payload) != {"value"}:
        raise refusal("payload", "値が不正です。", "value を送ってください。", "test.change")


def main() -> int:
    handlers.register("test.change", validate=validate)
    if sys.argv[1] == "enqueue":
        call_command("migrate", verbosity=0, interactive=False)
        for value in range(1, int(sys.argv[2]) + 1):
            with transaction.atomic():
                services.enqueue(
                    message_type="test.change",
                    receiver=NodeRef("prefecture", "420000"),
                    subject="s1",
                    payload={"value": value},
                )
        sys.stdout.write("QUEUED\n")
        sys.stdout.flush()
    left = tasks.deliver_until_empty(timeout=120, interval=0.1)
    sys.stdout.write(f"PENDING {left}\n")
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
