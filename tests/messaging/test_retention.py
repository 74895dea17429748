"""Retention purge: finished messages older than the period go, the rest stays, replays are still refused."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from jumin.audit.models import AuditEntry
from jumin.messaging import services
from jumin.messaging.conf import RETENTION_FLOOR_DAYS
from jumin.messaging.delivery import deliver_due
from jumin.messaging.models import InboxMessage, InboxStream, OutboxMessage, OutboxSequence
from tests.messaging.conftest import MUNICIPALITY, PREFECTURE, TEST_TYPE, Applied, Federation

OLD = timedelta(days=RETENTION_FLOOR_DAYS + 30)


def send(fed: Federation, value: int, subject: str) -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )


def age(message_id: Any) -> None:
    """Make one delivered-and-applied message look older than the retention period."""
    past = timezone.now() - OLD
    OutboxMessage.objects.filter(message_id=message_id).update(delivered_at=past)
    InboxMessage.objects.filter(message_id=message_id).update(applied_at=past)


@pytest.fixture
def exchanged(federation: Federation, applied: Applied) -> dict[str, OutboxMessage]:
    """An old and a recent delivered message, plus an old one still pending (the prefecture is down)."""
    rows = {"old": send(federation, 1, "a"), "recent": send(federation, 2, "b")}
    deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    age(rows["old"].message_id)
    federation.prefecture.stop()
    rows["pending"] = send(federation, 3, "c")
    OutboxMessage.objects.filter(pk=rows["pending"].pk).update(created_at=timezone.now() - OLD)
    return rows


def test_the_purge_deletes_only_finished_messages_older_than_the_period_and_is_audited(
    exchanged: dict[str, OutboxMessage],
) -> None:
    out = io.StringIO()
    call_command("purge_messages", stdout=out)
    assert "PURGED OUTBOX 1 INBOX 1" in out.getvalue()
    assert not OutboxMessage.objects.filter(pk=exchanged["old"].pk).exists()
    assert not InboxMessage.objects.filter(message_id=exchanged["old"].message_id).exists()
    assert OutboxMessage.objects.filter(pk=exchanged["recent"].pk, status="delivered").exists()
    assert InboxMessage.objects.filter(message_id=exchanged["recent"].message_id, status="applied").exists()
    assert OutboxMessage.objects.filter(pk=exchanged["pending"].pk, status="pending").exists()
    # The ordering state is kept: 更新順番号 continue and the high-water mark stays.
    assert OutboxSequence.objects.get(subject_key="a").last_seq == 1
    assert InboxStream.objects.get(subject_key="a").last_applied_seq == 1
    entry = AuditEntry.objects.get(action="node:message:purge")
    assert entry.outcome == "done"
    assert "1 delivered outbox" in entry.reason

    again = io.StringIO()
    call_command("purge_messages", stdout=again)
    assert "PURGED OUTBOX 0 INBOX 0" in again.getvalue()


def test_a_dry_run_counts_and_deletes_nothing(exchanged: dict[str, OutboxMessage]) -> None:
    out = io.StringIO()
    call_command("purge_messages", "--dry-run", stdout=out)
    assert "PURGED OUTBOX 1 INBOX 1" in out.getvalue()
    assert OutboxMessage.objects.filter(pk=exchanged["old"].pk).exists()
    assert not AuditEntry.objects.filter(action="node:message:purge").exists()


def test_a_purged_message_sent_again_is_refused_as_a_replay(
    federation: Federation, exchanged: dict[str, OutboxMessage]
) -> None:
    token = exchanged["old"].token.encode("ascii")
    call_command("purge_messages", stdout=io.StringIO())
    receipt = services.receive(federation.prefecture.node, MUNICIPALITY, token)
    assert (receipt.status, receipt.reason) == ("refused", "replay")


def test_a_message_created_before_the_retention_period_is_refused(
    federation: Federation, applied: Applied
) -> None:
    row = send(federation, 5, "d")
    later = timezone.now() + OLD
    receipt = services.receive(federation.prefecture.node, MUNICIPALITY, row.token.encode("ascii"), now=later)
    assert (receipt.status, receipt.reason) == ("refused", "replay")
    assert applied.rows == []


def test_a_period_below_the_seven_year_floor_is_refused_and_nothing_is_deleted(
    exchanged: dict[str, OutboxMessage], settings: Any
) -> None:
    settings.JUMIN_MESSAGE_RETENTION_DAYS = 30
    with pytest.raises(CommandError, match="JUMIN_MESSAGE_RETENTION_DAYS"):
        call_command("purge_messages", stdout=io.StringIO())
    assert OutboxMessage.objects.filter(pk=exchanged["old"].pk).exists()
