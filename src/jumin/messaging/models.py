"""Outbox, inbox and per-subject ordering state of the node's messaging (docs/network.md).

The signed token is stored as sent or received, so what was delivered can always be shown and
re-verified; payloads live only inside it. Subject keys are opaque internal ids, never personal data.

Every row names the local end too (the outbox its sender, the inbox its receiver) so that several nodes
can share one database in the in-process test federation (``jumin.messaging.testing``); each node only
ever reads its own rows. Migration 0003 fills the local end of rows written before from their tokens.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from jumin.crypto.fields import EncryptedSecretField
from jumin.crypto.sealed import SecretText, is_sealed

OUTBOX_SEAL_PURPOSE = "messaging.outbox.token"
INBOX_SEAL_PURPOSE = "messaging.inbox.token"


class SealedTokenField(EncryptedSecretField):
    """A signed token sealed at rest (AES-256-GCM, the node's data keys; docs/network.md "Tokens at rest").

    Business payloads carry 個人番号 and the tokens are kept for years, so the column holds
    ``s1:<key id>:<ciphertext>``; the model gives back the exact signed text (a ``SecretText``, whose
    ``repr`` hides it). A value without the ``s1:`` prefix is a token stored before sealing: it is read
    as it is and sealed when the row is saved again or the keys are rotated. A text column: a token may
    be up to 1 MiB.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", None)
        kwargs.setdefault("blank", False)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "TextField"

    def _check_max_length_attribute(self, **kwargs: Any) -> list[Any]:
        return []  # a text column: no length

    def _from_stored(self, value: str | None) -> Any:
        if value and not is_sealed(value):
            return SecretText(value)  # written before sealing: plain JWS text
        return super()._from_stored(value)


class OutboxMessage(models.Model):
    """A message this node sends, stored in the same transaction as the change it reports."""

    class Status(models.TextChoices):
        PENDING = "pending", "送信待ち"
        DELIVERED = "delivered", "送達済み"
        POISON = "poison", "隔離"
        RETIRED = "retired", "取下げ"  # an operator retired it from 隔離; never sent again

    message_id = models.UUIDField("メッセージID", unique=True)
    sender_kind = models.CharField("送信元種別", max_length=16, default="")
    sender_code = models.CharField("送信元コード", max_length=6, default="")
    receiver_kind = models.CharField("宛先種別", max_length=16)
    receiver_code = models.CharField("宛先コード", max_length=6)
    type = models.CharField("種類", max_length=64)
    subject_key = models.CharField("対象キー", max_length=64)
    seq = models.BigIntegerField("更新順番号")
    created_at = models.DateTimeField("作成日時")
    token = SealedTokenField("署名済みメッセージ（JWS、暗号化）", purpose=OUTBOX_SEAL_PURPOSE)
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("試行回数", default=0)
    next_attempt_at = models.DateTimeField("次回送信日時")
    last_attempt_at = models.DateTimeField("最終送信日時", null=True, blank=True)
    delivered_at = models.DateTimeField("送達日時", null=True, blank=True)
    receipt = models.CharField("受信側の応答", max_length=16, blank=True)
    last_error = models.CharField("最後の理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "送信メッセージ"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["sender_kind", "sender_code", "receiver_kind", "receiver_code", "subject_key", "seq"],
                name="messaging_outbox_stream_seq2",
            )
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["sender_kind", "sender_code", "receiver_kind", "receiver_code", "status", "id"],
                name="messaging_outbox_queue2",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} to {self.receiver_kind}:{self.receiver_code} seq {self.seq}"


class OutboxSequence(models.Model):
    """The last 更新順番号 allocated for one (sender, receiver, subject) stream."""

    sender_kind = models.CharField(max_length=16, default="")
    sender_code = models.CharField(max_length=6, default="")
    receiver_kind = models.CharField(max_length=16)
    receiver_code = models.CharField(max_length=6)
    subject_key = models.CharField(max_length=64)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["sender_kind", "sender_code", "receiver_kind", "receiver_code", "subject_key"],
                name="messaging_outbox_sequence_stream2",
            )
        ]

    def __str__(self) -> str:
        stream = f"{self.sender_kind}:{self.sender_code} → {self.receiver_kind}:{self.receiver_code}"
        return f"{stream} {self.subject_key} {self.last_seq}"


class InboxMessage(models.Model):
    """A message this node received: kept for de-duplication and held until its turn."""

    class Status(models.TextChoices):
        HELD = "held", "順番待ち"
        APPLIED = "applied", "適用済み"
        POISON = "poison", "隔離"
        RETIRED = "retired", "取下げ"  # an operator retired it from 隔離: skipped in order, never applied

    message_id = models.UUIDField("メッセージID", unique=True)
    sender_kind = models.CharField("送信元種別", max_length=16)
    sender_code = models.CharField("送信元コード", max_length=6)
    receiver_kind = models.CharField("宛先種別", max_length=16, default="")
    receiver_code = models.CharField("宛先コード", max_length=6, default="")
    type = models.CharField("種類", max_length=64)
    subject_key = models.CharField("対象キー", max_length=64)
    seq = models.BigIntegerField("更新順番号")
    created_at = models.DateTimeField("作成日時（送信元）")
    received_at = models.DateTimeField("受信日時")
    token = SealedTokenField("署名済みメッセージ（JWS、暗号化）", purpose=INBOX_SEAL_PURPOSE)
    token_digest = models.CharField("メッセージのSHA-256", max_length=64)
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.HELD)
    attempts = models.PositiveIntegerField("適用試行回数", default=0)
    applied_at = models.DateTimeField("適用日時", null=True, blank=True)
    last_error = models.CharField("最後の理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "受信メッセージ"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["receiver_kind", "receiver_code", "sender_kind", "sender_code", "subject_key", "seq"],
                condition=models.Q(seq__gt=0),
                name="messaging_inbox_stream_seq2",
            )
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["receiver_kind", "receiver_code", "sender_kind", "sender_code", "status"],
                name="messaging_inbox_queue2",
            ),
            # Every delivery round reads this node's held rows of all senders (request_missing,
            # retry_held): without it that read scanned the whole inbox, several times a second.
            models.Index(fields=["receiver_kind", "receiver_code", "status"], name="messaging_inbox_status"),
        ]

    def __str__(self) -> str:
        return f"{self.type} from {self.sender_kind}:{self.sender_code} seq {self.seq}"


class InboxStream(models.Model):
    """Per (receiver, sender, subject): the last applied 更新順番号 and when gaps were last re-requested."""

    receiver_kind = models.CharField(max_length=16, default="")
    receiver_code = models.CharField(max_length=6, default="")
    sender_kind = models.CharField(max_length=16)
    sender_code = models.CharField(max_length=6)
    subject_key = models.CharField(max_length=64)
    last_applied_seq = models.BigIntegerField(default=0)
    resend_requested_at = models.DateTimeField(null=True, blank=True)
    resend_requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["receiver_kind", "receiver_code", "sender_kind", "sender_code", "subject_key"],
                name="messaging_inbox_stream2",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender_kind}:{self.sender_code} {self.subject_key} {self.last_applied_seq}"


class PeerLink(models.Model):
    """Delivery state per peer: backoff after failures, the worker lease, and what 連携監視 shows."""

    kind = models.CharField("種別", max_length=16)
    code = models.CharField("コード", max_length=6)
    consecutive_failures = models.PositiveIntegerField("連続失敗回数", default=0)
    next_attempt_at = models.DateTimeField("次回接続日時", null=True, blank=True)
    last_success_at = models.DateTimeField("最終成功日時", null=True, blank=True)
    last_failure_at = models.DateTimeField("最終失敗日時", null=True, blank=True)
    last_error = models.CharField("最後の理由", max_length=200, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "連携先の状態"
        constraints: ClassVar = [models.UniqueConstraint(fields=["kind", "code"], name="messaging_peer_link")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"
