"""Writing the provision log (提供・移転の記録, 004 III.5 R1): every provision, transfer and refusal.

A refusal is logged in its own transaction, like an audited refusal (jumin.accounts.errors.refuse), so
the row survives the exception the caller raises next and nothing else is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field

from jumin.accounts import clock
from jumin.accounts.context import current_terminal_id
from jumin.crypto.individual_number import blind_index
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.provision.keys import BY_INDIVIDUAL_NUMBER, SearchKey
from jumin.jukinet.prefecture.provision.models import LegalBasis, ProvisionRecord, RequestingBody


def kind_of(body: RequestingBody | None) -> str:
    """移転 for a department of the governor (第1項), 提供 for another executive body (第2項)."""
    if body is None:
        return ""
    if body.kind == RequestingBody.Kind.DEPARTMENT:
        return ProvisionRecord.Kind.TRANSFER
    return ProvisionRecord.Kind.PROVISION


def number_index(key: SearchKey | None) -> str:
    """The blind index of a searched 個人番号 ("" for other keys or a malformed number)."""
    if key is None or key.by != BY_INDIVIDUAL_NUMBER or not key.individual_number:
        return ""
    try:
        return blind_index(key.individual_number)
    except DomainError:
        return ""


def new_record(
    *,
    actor: Any,
    basis: LegalBasis | None,
    channel: str,
    key: SearchKey | None,
    outcome: str,
    reason: str = "",
    resident_code: str = "",
    items: list[str] | None = None,
    index: str | None = None,
) -> ProvisionRecord:
    """An unsaved log row (bulk runs insert many at once)."""
    body = basis.body if basis is not None else None
    return ProvisionRecord(
        created_at=clock.now(),
        operator=actor if getattr(actor, "pk", None) else None,
        operator_username=str(getattr(actor, "username", ""))[:150],
        terminal_id=current_terminal_id(),
        body=body,
        basis=basis,
        kind=kind_of(body),
        channel=channel,
        search_kind=key.by if key is not None and key.by in ProvisionRecord.SearchKind.values else "",
        resident_code=resident_code,
        searched_number_index=number_index(key) if index is None else index,
        items=items or [],
        outcome=outcome,
        outcome_reason=reason[:100],
    )


def log_refusal(
    *, actor: Any, basis: LegalBasis | None, channel: str, key: SearchKey | None, reason: str
) -> None:
    """Log a refused request at once, in its own transaction."""
    with transaction.atomic():
        new_record(
            actor=actor,
            basis=basis,
            channel=channel,
            key=key,
            outcome=ProvisionRecord.Outcome.REFUSED,
            reason=reason,
        ).save()


@dataclass(frozen=True)
class BulkLogRow:
    """The per-row part of a bulk run's log row; everything else is the run's."""

    search_kind: str
    resident_code: str
    number_index: str
    provided: bool
    outcome: str
    reason: str
    row_number: int | None


_BULK_COLUMNS = (
    "created_at",
    "operator",
    "operator_username",
    "terminal_id",
    "body",
    "basis",
    "kind",
    "channel",
    "bulk_run",
    "items",
    "search_kind",
    "resident_code",
    "searched_number_index",
    "outcome",
    "outcome_reason",
    "row_number",
)
INSERT_BATCH = 5000


def insert_bulk_log(
    *, actor: Any, basis: LegalBasis, run: Any, items: list[str], rows: list[BulkLogRow]
) -> None:
    """Insert one log row per condition row, inside the caller's transaction.

    Plain multi-row INSERTs: the values common to the run are prepared once (P10 asks for 100,000
    rows well inside a minute; building 100,000 model instances alone takes seconds).
    """
    meta = ProvisionRecord._meta
    fields = {name: cast("Field[Any, Any]", meta.get_field(name)) for name in _BULK_COLUMNS}

    def prep(name: str, value: Any) -> Any:
        return fields[name].get_db_prep_save(value, connection)

    common = (
        prep("created_at", clock.now()),
        getattr(actor, "pk", None),
        str(getattr(actor, "username", ""))[:150],
        current_terminal_id(),
        basis.body_id,
        basis.pk,
        kind_of(basis.body),
        ProvisionRecord.Channel.BULK.value,
        run.pk,
    )
    with_items, without_items = prep("items", items), prep("items", [])
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields.values())
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(
                sql,
                [
                    (
                        *common,
                        with_items if row.provided else without_items,
                        row.search_kind,
                        row.resident_code,
                        row.number_index,
                        row.outcome,
                        row.reason[:100],
                        row.row_number,
                    )
                    for row in rows[start : start + INSERT_BATCH]
                ],
            )
