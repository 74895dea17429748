"""The 宛名 delivery as background work: a step of the task worker in the chosen mode (``conf``), and a
django-tasks job for 「今すぐ連携」 (``services.request_sync``); ``jumin atena sync`` runs it in the
foreground."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from jumin import task_worker
from jumin.atena import conf, services


@task()
def sync_atena() -> int:
    """Apply the registry's events up to now; the number applied."""
    return services.sync_until_caught_up(force=True)


def _scheduled_round() -> None:
    # Only a municipality holds a registry (the other node kinds install the app, with nothing to read).
    if getattr(settings, "JUMIN_NODE_KIND", "municipality") == "municipality":
        services.sync_until_caught_up()


# The worker runs the delivery every round (realtime) or every N minutes (near_realtime, N ≤ 10).
task_worker.every("atena.sync", _scheduled_round, seconds=conf.interval_seconds)
# A bad setting is reported when the worker starts, not only in each round's log.
task_worker.on_start("atena.settings", conf.interval_seconds)
