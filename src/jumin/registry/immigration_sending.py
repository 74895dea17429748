"""市町村通知 / 市町村伝達 to 出入国在留管理庁: the target list, the files, 再送 and results (standard
4.5.7-a/b; docs/workflows/immigration-link.md). The notices are made by ``immigration_link``.

Notices leave in commit order, in numbered batches, either as a file the clerk writes to the agency's
terminal or to media (``export_due``) or online through the 入管連携端末 relay (M10,
``immigration_online``), which shares the selection, the marking and the results with this module. A
notice not due yet (a 転出予定者's) holds back the person's later notices, so the order is kept per
person. ``resend`` writes chosen notices again (a new batch); ``import_results`` records the agency's
processing result per notice (正常 / エラー), and an error stays on the list until re-sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused, authorize, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import refusal
from jumin.registry.immigration_link import ITEM_COLUMNS
from jumin.registry.models_immigration import Channel, MunicipalityNotice

FILE_COLUMNS = ("sequence_no", "kind", "link_class", *ITEM_COLUMNS)
RESULT_COLUMNS = ("sequence_no", "result", "code", "message")
_RESULTS = {"正常": MunicipalityNotice.Result.ACCEPTED, "エラー": MunicipalityNotice.Result.ERROR}
LIST_STATES = ("waiting", "due", "sent", "error")
_CODE = "registry.municipality_notice"


# --- the target list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """One notice as the list shows it."""

    sequence_no: int
    atena_number: str
    change_id: int
    kind: str
    link_class: str
    change_reason: str
    change_date: str
    due_on: str
    batch_no: int | None
    sent_at: str
    send_count: int
    channel: str
    result: str
    result_code: str
    result_message: str


def _stamp(value: Any) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _row(notice: MunicipalityNotice) -> NoticeRow:
    return NoticeRow(
        sequence_no=notice.pk,
        atena_number=notice.atena_number,
        change_id=notice.change_id,
        kind=notice.kind,
        link_class=notice.link_class,
        change_reason=str(notice.items.get("change_reason", "")),
        change_date=str(notice.items.get("change_date", "")),
        due_on=notice.due_on.isoformat(),
        batch_no=notice.batch_no,
        sent_at=_stamp(notice.sent_at),
        send_count=notice.send_count,
        channel=notice.get_channel_display() if notice.channel else "",
        result=notice.get_result_display() if notice.result else "",
        result_code=notice.result_code,
        result_message=notice.result_message,
    )


def _refused(field: str, reason: str, remedy: str) -> Exception:
    return refusal(field, reason, remedy, _CODE)


def municipality_notices(
    *, actor: Any, purpose: str, state: str = "due", limit: int = 500
) -> list[NoticeRow]:
    """The target list (standard 4.5.7-a): notices waiting for their planned date (``waiting``), to
    send now (``due``), sent (``sent``, newest first) or answered with an error (``error``); audited."""
    if state not in LIST_STATES:
        raise _refused(
            "state", "一覧の種類が不正です。", "waiting、due、sent、error のどれかを指定してください。"
        )
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_LIST,
        purpose=purpose,
        subject_type="municipality_notice",
        subject_id=state,
    )
    today = timezone.localdate()
    query = MunicipalityNotice.objects.all()
    if state == "waiting":
        query = query.filter(sent_at__isnull=True, due_on__gt=today).order_by("pk")
    elif state == "due":
        query = query.filter(sent_at__isnull=True, due_on__lte=today).order_by("pk")
    elif state == "sent":
        query = query.filter(sent_at__isnull=False).order_by("-pk")
    else:
        query = query.filter(result=MunicipalityNotice.Result.ERROR).order_by("pk")
    with transaction.atomic():
        rows = [_row(n) for n in query[: max(1, min(limit, 5000))]]
        record_results(
            actor,
            "resident",
            sorted({row.atena_number for row in rows}),
            purpose,
            f"municipality_notice_{state}",
            action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_LIST,
            result_count=len(rows),
        )
    return rows


# --- the file for the agency (online through the terminal, or on media) ---------------------------


@dataclass(frozen=True)
class NoticeFile:
    """One batch written for the agency: its number, the notices in it, and the file's text."""

    batch_no: int
    sequence_nos: tuple[int, ...]
    content: str


def _file(notices: Iterable[MunicipalityNotice]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FILE_COLUMNS)
    for notice in notices:
        writer.writerow(
            [notice.pk, notice.kind, notice.link_class, *(notice.items.get(c, "") for c in ITEM_COLUMNS)]
        )
    return buffer.getvalue()


def _in_order(due: list[MunicipalityNotice]) -> list[MunicipalityNotice]:
    """The due notices that may leave now: a person's notice never overtakes an earlier unsent one
    that is not due yet (a 転出予定者's), so each person's notices reach the agency in commit order."""
    chosen = {n.pk for n in due}
    held_from: dict[str, int] = {}  # person → their first unsent notice that cannot leave now
    for pk, atena in (
        MunicipalityNotice.objects.filter(
            sent_at__isnull=True, atena_number__in={n.atena_number for n in due}
        )
        .order_by("pk")
        .values_list("pk", "atena_number")
    ):
        if pk not in chosen:
            held_from.setdefault(atena, pk)
    return [n for n in due if n.pk < held_from.get(n.atena_number, n.pk + 1)]


def mark_sent(
    notices: list[MunicipalityNotice], *, actor: Any, purpose: str, action: AuditAction, channel: str
) -> int:
    """Give the notices a new 送信番号, their send time, count and channel (their earlier result is
    cleared); audited with the persons. The batch number."""
    now = timezone.now()
    batch_no = (MunicipalityNotice.objects.aggregate(last=Max("batch_no"))["last"] or 0) + 1
    for notice in notices:
        notice.batch_no = batch_no
        notice.sent_at = now
        notice.send_count += 1
        notice.channel = channel
        notice.result, notice.result_code, notice.result_message, notice.result_at = "", "", "", None
    MunicipalityNotice.objects.bulk_update(
        notices,
        [
            "batch_no",
            "sent_at",
            "send_count",
            "channel",
            *("result", "result_code", "result_message", "result_at"),
        ],
    )
    record_results(
        actor,
        "resident",
        sorted({n.atena_number for n in notices}),
        purpose,
        f"municipality_notice_batch_{batch_no}",
        action=action,
        reason=f"batch={batch_no} notices={len(notices)} channel={channel}",
        result_count=len(notices),
    )
    return batch_no


def _write_batch(
    notices: list[MunicipalityNotice], *, actor: Any, purpose: str, action: AuditAction
) -> NoticeFile:
    batch_no = mark_sent(notices, actor=actor, purpose=purpose, action=action, channel=Channel.FILE)
    return NoticeFile(batch_no, tuple(n.pk for n in notices), _file(notices))


def due_in_order() -> list[MunicipalityNotice]:
    """Every notice that may leave today, in commit order, locked (inside the caller's transaction)."""
    due = list(
        MunicipalityNotice.objects.select_for_update()
        .filter(sent_at__isnull=True, due_on__lte=timezone.localdate())
        .order_by("pk")
    )
    return _in_order(due)


def nothing_due() -> Exception:
    """The refusal when no notice is due (nothing changed)."""
    return _refused(
        "state",
        "送信する市町村通知がありません。",
        "送信予定日を過ぎた通知ができてから作成してください。",
    )


def sent_notices(sequence_nos: Sequence[int]) -> list[MunicipalityNotice]:
    """The chosen sent notices in their order, locked; refused when none is chosen or any was never
    sent (a notice never sent leaves with the due ones)."""
    wanted = sorted(set(sequence_nos))
    if not wanted:
        raise _refused(
            "sequence_nos", "再送する通知が選ばれていません。", "一覧から再送する通知を選んでください。"
        )
    notices = list(
        MunicipalityNotice.objects.select_for_update()
        .filter(pk__in=wanted, sent_at__isnull=False)
        .order_by("pk")
    )
    if len(notices) != len(wanted):
        raise _refused(
            "sequence_nos",
            "未送信または存在しない通知が含まれています。",
            "送信済みの通知だけを選んでください（未送信の通知は「送信ファイル作成」で送ります）。",
        )
    return notices


def authorize_sending(actor: Any, purpose: str, action: AuditAction) -> None:
    """The check of every send, re-send and result import (file or online): ``resident:record``."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=action,
        purpose=purpose,
        subject_type="municipality_notice",
    )


FILE_NEEDS_RESIDENCE_STATUS = (
    "市町村通知のファイルには在留資格・在留期間等が含まれるため、在留資格等を表示する権限"
    "（field:residence_status:view）がない職員は作成できません。所属長に権限の付与を申請するか、"
    "権限のある職員に依頼してください。"
)


def _require_residence_status_view(actor: Any, purpose: str, action: AuditAction) -> None:
    """The file hands the clerk every notice's 在留資格 items (法30条の50 fixes them; they are not masked),
    so writing it needs the grant that shows them (C-10, std 10.4-a); refused and audited otherwise."""
    if Permission.FIELD_RESIDENCE_STATUS_VIEW in visible_fields(actor):
        return
    record_event(
        actor=actor,
        action=action,
        subject_type="municipality_notice",
        purpose=purpose,
        outcome=Outcome.REFUSED,
        outcome_reason="field_missing",
    )
    raise AccessRefused(FILE_NEEDS_RESIDENCE_STATUS, reason_code="field_missing")


def export_due(*, actor: Any, purpose: str) -> NoticeFile:
    """Write every notice due today in commit order as one batch (standard 4.5.7-a: chronological
    order kept); refused, nothing changed, when none is due. Needs the 在留資格 grant besides
    ``resident:record``: the file carries the 在留資格 items unmasked."""
    authorize_sending(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_SEND)
    _require_residence_status_view(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_SEND)
    with transaction.atomic():
        notices = due_in_order()
        if not notices:
            raise nothing_due()
        return _write_batch(
            notices, actor=actor, purpose=purpose, action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_SEND
        )


def resend(*, actor: Any, purpose: str, sequence_nos: Sequence[int]) -> NoticeFile:
    """Write sent notices again, in their original order, as a new batch (standard 4.5.7-b 再送);
    their previous result is cleared. Refused when any was never sent; needs the 在留資格 grant as
    ``export_due`` does."""
    authorize_sending(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESEND)
    _require_residence_status_view(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESEND)
    with transaction.atomic():
        notices = sent_notices(sequence_nos)
        return _write_batch(
            notices, actor=actor, purpose=purpose, action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESEND
        )


# --- the agency's processing results ---------------------------------------------------------------


@dataclass(frozen=True)
class ResultImport:
    """What a results file did: how many notices it updated, and the lines it could not use."""

    accepted: int
    errors: int
    refused_lines: tuple[tuple[int, str], ...]


def import_results(*, actor: Any, purpose: str, content: str) -> ResultImport:
    """Record the agency's result per notice from its file (``sequence_no,result,code,message``;
    result 「正常」 or 「エラー」). A line naming an unknown or unsent notice is listed, not applied."""
    authorize_sending(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESULT)
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    if tuple(reader.fieldnames or ()) != RESULT_COLUMNS:
        raise _refused(
            "content",
            "処理結果ファイルの見出し行が定められた形式と異なります。",
            "sequence_no,result,code,message の見出しのファイルを選んでください。",
        )
    results: dict[int, tuple[str, str, str]] = {}
    refused: list[tuple[int, str]] = []
    for raw in reader:
        number, result = (
            (raw.get("sequence_no") or "").strip(),
            result_value(raw.get("result") or ""),
        )
        if not number.isdigit() or result is None:
            refused.append((reader.line_num, "通知連番または処理結果（正常／エラー）が正しくありません。"))
            continue
        results[int(number)] = (
            result,
            (raw.get("code") or "").strip()[:20],
            (raw.get("message") or "").strip()[:200],
        )
    with transaction.atomic():
        applied, errors = apply_results(results, refused, actor=actor, purpose=purpose, channel=Channel.FILE)
    return ResultImport(applied - errors, errors, tuple(refused))


def apply_results(
    results: Mapping[int, tuple[str, str, str]],
    refused: list[tuple[int, str]],
    *,
    actor: Any,
    purpose: str,
    channel: str,
) -> tuple[int, int]:
    """Record results (通知連番 → (result, code, message)) on the sent notices, in the caller's
    transaction; a number naming no sent notice is added to ``refused``. Audited with the counts.
    Shared by the results file and the results that come online through the terminal. Returns
    (applied, errors)."""
    now = timezone.now()
    notices = {
        n.pk: n
        for n in MunicipalityNotice.objects.select_for_update().filter(pk__in=results, sent_at__isnull=False)
    }
    for number in sorted(set(results) - set(notices)):
        refused.append((0, f"通知連番 {number} の送信済みの通知がありません。"))
    for pk, notice in notices.items():
        notice.result, notice.result_code, notice.result_message = results[pk]
        notice.result_at = now
    MunicipalityNotice.objects.bulk_update(
        list(notices.values()), ["result", "result_code", "result_message", "result_at"]
    )
    errors = sum(1 for n in notices.values() if n.result == MunicipalityNotice.Result.ERROR)
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESULT,
        subject_type="municipality_notice",
        subject_id="",
        purpose=purpose,
        reason=f"applied={len(notices)} errors={errors} refused={len(refused)} channel={channel}",
    )
    return len(notices), errors


def result_value(text: str) -> str | None:
    """The stored result of the agency's 「正常」 / 「エラー」, or None for anything else."""
    return _RESULTS.get(text.strip())
