"""Operator actions on set-aside messages: re-queue or retire, authorised by network:operate and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.messaging import services
from jumin.messaging.delivery import deliver_due
from jumin.messaging.models import InboxMessage, OutboxMessage
from tests.helpers.permission_matrix import assert_permission_triple
from tests.messaging.conftest import PREFECTURE, TEST_TYPE, Applied, Federation


@pytest.fixture
def monitored(federation: Federation, settings: Any) -> Federation:
    """The test process runs as the municipality node of the federation."""
    settings.JUMIN_NODE_DIR = federation.municipality.directory
    return federation


def send(fed: Federation, value: int, subject: str = "s1") -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )


def set_aside_outbox(fed: Federation, value: int) -> str:
    """An outbox message the receiver refused for good (simulated: the refusal itself is tested elsewhere)."""
    row = send(fed, value, subject=f"s{value}")
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxMessage.Status.POISON, attempts=8, last_error="schema: テスト"
    )
    return str(row.message_id)


def operator(make_staff: Callable[..., Any]) -> Any:
    return make_staff(permissions=[Permission.NETWORK_OPERATE]).user


def test_requeued_outbox_message_is_sent_again_and_audited(
    monitored: Federation, applied: Applied, make_staff: Callable[..., Any]
) -> None:
    message_id = set_aside_outbox(monitored, 5)
    user = operator(make_staff)
    status = services.resolve_set_aside(
        actor=user, direction="outbox", message_id=message_id, action="requeue", note="受信側の版を更新した"
    )
    assert status == "pending"
    assert OutboxMessage.objects.get(message_id=message_id).attempts == 0
    deliver_due(monitored.municipality.node)
    monitored.prefecture.wait_idle()
    assert OutboxMessage.objects.get(message_id=message_id).status == "delivered"
    assert applied.seqs("s5") == [1]
    entry = AuditEntry.objects.get(action="node:message:requeue")
    assert (entry.actor_id, entry.subject_id, entry.outcome) == (user.pk, message_id, "done")
    assert "受信側の版を更新した" in entry.reason


def test_retired_outbox_message_is_never_sent(
    monitored: Federation, applied: Applied, make_staff: Callable[..., Any]
) -> None:
    message_id = set_aside_outbox(monitored, 6)
    status = services.resolve_set_aside(
        actor=operator(make_staff), direction="outbox", message_id=message_id, action="retire", note="不要"
    )
    assert status == "retired"
    report = deliver_due(monitored.municipality.node)
    assert report.delivered == 0
    assert applied.rows == []
    assert AuditEntry.objects.filter(action="node:message:retire", outcome="done").count() == 1


def test_retiring_an_inbox_message_lets_the_later_ones_of_its_subject_apply_in_order(
    monitored: Federation, applied: Applied, make_staff: Callable[..., Any]
) -> None:
    send(monitored, -1)  # the handler refuses it for good: set aside on the receiving side
    send(monitored, 7)
    deliver_due(monitored.municipality.node)
    monitored.prefecture.wait_idle()
    poisoned = InboxMessage.objects.get(seq=1, status=InboxMessage.Status.POISON)
    assert InboxMessage.objects.get(seq=2).status == InboxMessage.Status.HELD
    status = services.resolve_set_aside(
        actor=operator(make_staff),
        direction="inbox",
        message_id=str(poisoned.message_id),
        action="retire",
        note="送信元で訂正済み",
    )
    assert status == "retired"
    assert InboxMessage.objects.get(seq=2).status == InboxMessage.Status.APPLIED
    assert applied.seqs() == [2]


def test_requeuing_an_inbox_message_applies_it_once_its_cause_is_gone(
    monitored: Federation, applied: Applied, make_staff: Callable[..., Any], settings: Any
) -> None:
    settings.JUMIN_MESSAGING_MAX_ATTEMPTS = 1
    applied.fail_transient.add(9)  # fails once: with one attempt allowed, it is set aside
    send(monitored, 9)
    deliver_due(monitored.municipality.node)
    monitored.prefecture.wait_idle()
    poisoned = InboxMessage.objects.get(seq=1)
    assert poisoned.status == InboxMessage.Status.POISON
    status = services.resolve_set_aside(
        actor=operator(make_staff),
        direction="inbox",
        message_id=str(poisoned.message_id),
        action="requeue",
        note="一時的な障害が解消",
    )
    assert status == "applied"
    assert applied.seqs() == [1]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("note", {"note": "  "}),
        ("note", {"note": "x" * 201}),
        ("action", {"action": "delete"}),
        ("direction", {"direction": "sideways"}),
        ("message_id", {"message_id": "not-a-uuid"}),
        ("message_id", {"message_id": "00000000-0000-4000-8000-000000000000"}),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    monitored: Federation, make_staff: Callable[..., Any], field: str, changes: dict[str, str]
) -> None:
    message_id = set_aside_outbox(monitored, 3)
    arguments = {"direction": "outbox", "message_id": message_id, "action": "requeue", "note": "理由"}
    arguments.update(changes)
    with pytest.raises(DomainError) as refused:
        services.resolve_set_aside(actor=operator(make_staff), **arguments)
    assert refused.value.field == field
    assert refused.value.remedy
    assert OutboxMessage.objects.get(message_id=message_id).status == OutboxMessage.Status.POISON
    assert not AuditEntry.objects.filter(action="node:message:requeue").exists()


def test_a_message_that_is_not_set_aside_cannot_be_requeued(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    row = send(monitored, 4)
    with pytest.raises(DomainError) as refused:
        services.resolve_set_aside(
            actor=operator(make_staff),
            direction="outbox",
            message_id=str(row.message_id),
            action="retire",
            note="理由",
        )
    assert refused.value.code == "messaging.not_set_aside"
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxMessage.Status.PENDING


def test_the_screen_action_needs_network_operate_and_is_audited(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    counter = iter(range(10, 20))

    def form() -> dict[str, str]:
        return {"queue": "outbox", "message_id": set_aside_outbox(monitored, next(counter)),
                "action": "requeue", "note": "再送"}  # fmt: skip

    assert_permission_triple(make_staff, "post", reverse("messaging:resolve"), Permission.NETWORK_OPERATE,
                             data=form, other_permissions=[Permission.NETWORK_MONITOR])  # fmt: skip


def test_the_api_action_needs_network_operate_and_is_audited(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    counter = iter(range(20, 30))

    def body() -> dict[str, str]:
        return {"queue": "outbox", "message_id": set_aside_outbox(monitored, next(counter)),
                "action": "retire", "note": "取下げ"}  # fmt: skip

    url = "/api/messaging/set-aside/resolve"
    assert_permission_triple(
        make_staff, "post", url, Permission.NETWORK_OPERATE, data=body, content_type="application/json"
    )


def test_the_monitor_offers_both_actions_for_a_set_aside_message(
    monitored: Federation, make_staff: Callable[..., Any]
) -> None:
    set_aside_outbox(monitored, 2)
    client = make_staff(permissions=[Permission.NETWORK_MONITOR])
    text = client.get(reverse("messaging:monitor")).content.decode()
    assert "再送に戻す" in text
    assert "取り下げる" in text
    assert client.get("/api/messaging/monitor").json()["set_aside"][0]["queue"] == "outbox"
