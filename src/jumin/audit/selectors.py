"""Reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.forms.models import model_to_dict

from jumin.audit.chain import GENESIS_HASH, canonical_sql, chain_hash
from jumin.audit.models import AuditEntry


@dataclass(frozen=True)
class ChainVerdict:
    """Result of recomputing the chain: how many entries were checked and the first broken seq, if any."""

    entries: int
    first_broken_seq: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(*, batch_size: int = 20_000) -> ChainVerdict:
    """Recompute every entry's hash in sequence order (issue 3 item 5).

    A changed entry breaks its own hash; a removed or inserted entry breaks the sequence or the
    link to its predecessor. The first broken sequence number is reported.
    """
    table = AuditEntry._meta.db_table
    expected_seq = 1
    prev_hash = GENESIS_HASH
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, prev_hash, entry_hash, {canonical_sql()} FROM {table} ORDER BY seq"  # noqa: S608 (no input)
        )
        while rows := cursor.fetchmany(batch_size):
            for seq, stored_prev, stored_hash, canonical in rows:
                if (
                    seq != expected_seq
                    or stored_prev != prev_hash
                    or chain_hash(prev_hash, canonical) != stored_hash
                ):
                    return ChainVerdict(entries=expected_seq - 1, first_broken_seq=min(seq, expected_seq))
                prev_hash = stored_hash
                expected_seq += 1
    return ChainVerdict(entries=expected_seq - 1, first_broken_seq=None)


def entries_for_subject(subject_type: str, subject_id: str) -> list[dict[str, object]]:
    """Every entry about one subject, oldest first (for a person's own access history)."""
    query = AuditEntry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("seq")
    return [model_to_dict(entry) for entry in query]
