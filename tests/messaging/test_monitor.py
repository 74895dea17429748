"""連携監視: the queues per peer, on the screen and in the JSON API, for holders of network:monitor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.messaging import services
from jumin.messaging.delivery import deliver_due
from jumin.messaging.selectors import network_status
from tests.helpers.permission_matrix import assert_permission_triple
from tests.messaging.conftest import PREFECTURE, TEST_TYPE, Applied, Federation


@pytest.fixture
def monitored(federation: Federation, settings: Any) -> Federation:
    """The test process runs as the municipality node of the federation."""
    settings.JUMIN_NODE_DIR = federation.municipality.directory
    return federation


def send(fed: Federation, value: int, subject: str = "s1") -> None:
    with transaction.atomic():
        services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )


def test_the_status_counts_queues_per_peer(monitored: Federation, applied: Applied) -> None:
    send(monitored, 1)
    send(monitored, 2)
    deliver_due(monitored.municipality.node)
    monitored.prefecture.stop()
    send(monitored, 3)
    deliver_due(monitored.municipality.node)
    status = network_status()
    assert status.node == "municipality:422029"
    # Both nodes share the test database; the monitor counts only this node's own rows.
    line = status.peers[0]
    assert [(p.peer, p.configured) for p in status.peers] == [("prefecture:420000", True)]
    assert (line.peer, line.outbox_delivered, line.outbox_pending, line.outbox_poison) == (
        "prefecture:420000",
        2,
        1,
        0,
    )
    assert line.consecutive_failures == 1
    assert line.last_success_at is not None
    assert line.oldest_pending_at is not None
    assert line.alert


def test_the_screen_needs_the_permission_and_is_audited(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    assert_permission_triple(make_staff, "get", reverse("messaging:monitor"), Permission.NETWORK_MONITOR)


def test_the_api_needs_the_permission_and_is_audited(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    assert_permission_triple(make_staff, "get", "/api/messaging/monitor", Permission.NETWORK_MONITOR)


def test_the_screen_and_the_api_show_the_same_queues(
    monitored: Federation, applied: Applied, make_staff: Callable[..., Any]
) -> None:
    monitored.prefecture.stop()
    send(monitored, 1)
    deliver_due(monitored.municipality.node)
    client = make_staff(permissions=[Permission.NETWORK_MONITOR])
    page = client.get(reverse("messaging:monitor"))
    text = page.content.decode()
    assert page.status_code == 200
    for shown in ("連携監視", "prefecture:420000", "要対応"):
        assert shown in text
    data = client.get("/api/messaging/monitor").json()
    assert data["node"] == "municipality:422029"
    assert data["peers"][0]["outbox_pending"] == 1
    assert data["peers"][0]["alert"] is True
    assert AuditEntry.objects.filter(action="node:monitor:view", outcome="done").count() == 2
