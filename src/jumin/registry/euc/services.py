"""EUC services (standard 10.1-a/b/c): save a definition, queue a run, run it in the background, download.

Every step needs ``EUC_EXTRACT`` (its own right, 10.3-e, C-20) and a purpose; an item with a field-view
permission (本籍・筆頭者, 住民票コード, 在留資格) needs that permission too (10.4-a, C-10), refused and
audited otherwise. A run lists its people in one ``record_results`` entry (like a search), written in
the transaction that stores the file; more than 100 persons need an approved bulk-output request (C-26).
A result can be downloaded by its requester only, until ``RESULT_HOURS`` after the run; each download
is audited with the file hash and count (C-27).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from jumin.accounts.approvals import check_bulk_output, consume_approval
from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.context import audit_context
from jumin.accounts.errors import RuleRefused
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError
from jumin.messaging import housekeeping
from jumin.registry.euc.definition import Definition, Mode, parse_definition
from jumin.registry.euc.extraction import extract
from jumin.registry.euc.writers import (
    CONTENT_TYPES,
    CsvEncoding,
    OutputFile,
    OutputFormat,
    write_csv,
    write_pdf,
    write_xml,
)
from jumin.registry.models_euc import EucDefinition, EucRun

RESULT_HOURS = 24
TITLE = "EUC抽出結果"


@dataclass(frozen=True)
class RunSummary:
    """One run as the result list shows it (no personal values)."""

    run_id: int
    state: str
    state_label: str
    output_format: str
    requested_at: str
    expires_at: str
    row_count: int
    excluded_count: int
    refused_rows: list[dict[str, object]]
    error: str
    downloadable: bool


def _authorize(actor: Any, purpose: str, action: AuditAction, definition: Definition | None = None) -> None:
    authorize(
        actor=actor, permission=Permission.EUC_EXTRACT, action=action, purpose=purpose, subject_type="euc"
    )
    for item in definition.referenced() if definition else ():
        if item.permission is not None:
            authorize(
                actor=actor, permission=item.permission, action=action, purpose=purpose, subject_type="euc"
            )


def save_definition(*, actor: Any, purpose: str, name: str, raw: dict[str, Any]) -> int:
    """Check and save a definition under the user's own name for it (replacing one of that name)."""
    definition = parse_definition(raw)
    _authorize(actor, purpose, AuditAction.EUC_DEFINITION_SAVE, definition)
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(
            field="name",
            reason="定義名が空か長すぎます。",
            remedy="100文字以内で入力してください。",
            code="euc.name",
        )
    with transaction.atomic():
        saved, _ = EucDefinition.objects.update_or_create(
            owner=actor, name=name, defaults={"definition": raw}
        )
        record_event(
            actor=actor,
            action=AuditAction.EUC_DEFINITION_SAVE,
            subject_type="euc_definition",
            subject_id=str(saved.pk),
            purpose=purpose,
        )
    return saved.pk


def saved_definitions(*, actor: Any) -> list[tuple[int, str]]:
    """The user's own saved definitions (id, name); a definition holds no personal values."""
    return list(EucDefinition.objects.filter(owner=actor).order_by("name").values_list("pk", "name"))


def saved_definition(*, actor: Any, definition_id: int) -> dict[str, Any] | None:
    """One of the user's own saved definitions, or None."""
    row = EucDefinition.objects.filter(owner=actor, pk=definition_id).first()
    return dict(row.definition) if row else None


def request_extraction(
    *,
    actor: Any,
    purpose: str,
    raw: dict[str, Any],
    output_format: OutputFormat,
    encoding: CsvEncoding = CsvEncoding.UTF8_BOM,
    approval_id: int | None = None,
) -> int:
    """Check the definition and rights, queue the run and return its id; the job starts after commit."""
    definition = parse_definition(raw)
    _authorize(actor, purpose, AuditAction.EUC_EXTRACTION_RUN, definition)
    with transaction.atomic():
        run = EucRun.objects.create(
            requested_by=actor,
            purpose=purpose,
            terminal_id=str(audit_context().get("terminal_id", "")),
            definition=raw,
            output_format=output_format.value,
            encoding=encoding.value if output_format is OutputFormat.CSV else "",
            approval_id=approval_id,
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run.pk


def _enqueue(run_id: int) -> None:
    from jumin.registry.euc.tasks import run_euc_job

    run_euc_job.enqueue(run_id)


def _write(definition: Definition, run: EucRun, extraction: Any) -> OutputFile:
    output_format = OutputFormat(run.output_format)
    if output_format is OutputFormat.CSV:
        return write_csv(definition, extraction, CsvEncoding(run.encoding))
    if output_format is OutputFormat.XML:
        return write_xml(definition, extraction)
    return write_pdf(definition, extraction, title=TITLE)


def _summary(definition: Definition) -> str:
    keys = [f"euc_{definition.scope.value}", *(c.item.key for c in definition.conditions)]
    return "+".join(dict.fromkeys(keys))


def run_extraction(run_id: int) -> None:
    """The background job: extract, write the file and audit the people listed, all in one transaction.

    A refusal (rights withdrawn since the request, no bulk-output approval) or bad definition marks the
    run failed with its Japanese message; the refusal itself is audited by the check that refused.
    """
    run = EucRun.objects.select_related("requested_by").get(pk=run_id)
    if run.state != EucRun.State.QUEUED:
        return
    actor = run.requested_by
    try:
        definition = parse_definition(run.definition)
        _authorize(actor, run.purpose, AuditAction.EUC_EXTRACTION_RUN, definition)
        extraction = extract(definition)
        listed = extraction.atena_numbers if definition.mode is Mode.ROWS else []
        check_bulk_output(
            actor=actor,
            count=len(listed),
            approval_id=run.approval_id,
            action=AuditAction.EUC_EXTRACTION_RUN,
            purpose=run.purpose,
        )
        output = _write(definition, run, extraction)
    except DomainError as error:
        _fail(run.pk, f"{error.reason}{error.remedy}")
        return
    except (AccessRefused, RuleRefused) as refusal:
        _fail(run.pk, refusal.message)
        return
    except Exception:
        # Never left 待機中 for ever: the clerk sees the failure, the worker's log has the traceback.
        _fail(run.pk, "抽出中にエラーが発生しました。システム担当へ連絡してください。")
        raise
    now = timezone.now()
    with transaction.atomic():
        if run.approval_id is not None:
            consume_approval(approval_id=run.approval_id)
        EucRun.objects.filter(pk=run.pk).update(
            state=EucRun.State.DONE,
            finished_at=now,
            expires_at=now + timedelta(hours=RESULT_HOURS),
            row_count=output.row_count,
            excluded_count=extraction.excluded_count,
            refused_rows=output.refused_rows,
            content=output.content,
            file_sha256=hashlib.sha256(output.content).hexdigest(),
        )
        record_results(
            actor,
            "resident",
            listed,
            run.purpose,
            _summary(definition),
            action=AuditAction.EUC_EXTRACTION_RUN,
            reason=f"euc run {run.pk} {run.output_format}",
            support_measure=extraction.excluded_count > 0,
            result_count=output.row_count
            if definition.mode is Mode.ROWS
            else sum(c for _, c in extraction.counts),
        )


def _fail(run_id: int, message: str) -> None:
    EucRun.objects.filter(pk=run_id).update(
        state=EucRun.State.FAILED, error=message[:300], finished_at=timezone.now()
    )


def expire_results(now: Any = None) -> int:
    """Drop the files of runs past their download limit (the run row and its audit stay)."""
    now = now or timezone.now()
    return EucRun.objects.filter(state=EucRun.State.DONE, expires_at__lte=now).update(
        state=EucRun.State.EXPIRED, content=None
    )


def runs_of(*, actor: Any, purpose: str) -> list[RunSummary]:
    """The user's own runs, newest first (authorised; lists no personal values)."""
    _authorize(actor, purpose, AuditAction.EUC_EXTRACTION_RUN)
    expire_results()
    runs = EucRun.objects.filter(requested_by=actor).defer("content").order_by("-pk")[:50]
    return [
        RunSummary(
            run_id=run.pk,
            state=run.state,
            state_label=run.get_state_display(),
            output_format=run.output_format,
            requested_at=timezone.localtime(run.requested_at).strftime("%Y-%m-%d %H:%M"),
            expires_at=timezone.localtime(run.expires_at).strftime("%Y-%m-%d %H:%M")
            if run.expires_at
            else "",
            row_count=run.row_count,
            excluded_count=run.excluded_count,
            refused_rows=list(run.refused_rows),
            error=run.error,
            downloadable=run.state == EucRun.State.DONE,
        )
        for run in runs
    ]


def download_result(*, actor: Any, purpose: str, run_id: int) -> tuple[str, str, bytes]:
    """The file of one's own finished run (file name, content type, bytes), audited with hash and count."""
    _authorize(actor, purpose, AuditAction.EUC_RESULT_DOWNLOAD)
    expire_results()
    run = EucRun.objects.filter(pk=run_id, requested_by=actor, state=EucRun.State.DONE).first()
    if run is None or run.content is None:
        raise DomainError(
            field="run_id",
            reason="ダウンロードできる抽出結果がありません（期限切れか、他の職員の抽出です）。",
            remedy="抽出をもう一度実行してください。",
            code="euc.result_unavailable",
        )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.EUC_RESULT_DOWNLOAD,
            subject_type="euc_run",
            subject_id=str(run.pk),
            purpose=purpose,
            after_digest=run.file_sha256,
            result_count=run.row_count,
        )
    output_format = OutputFormat(run.output_format)
    return f"euc-{run.pk}.{output_format.value}", CONTENT_TYPES[output_format], bytes(run.content)


def prune_finished_jobs() -> None:
    """Delete the task rows (django-tasks-db) of jobs finished over 14 days ago, the package's default;
    each ``EucRun`` keeps its own outcome, and a job's row holds only the run id and a failure's traceback."""
    call_command("prune_db_task_results", queue_name="*", verbosity=0)


# Result files go at their limit even when nobody opens the result list: the node's daily housekeeping.
housekeeping.register("registry.euc_expire_results", expire_results, kind="municipality")
housekeeping.register("registry.euc_prune_finished_jobs", prune_finished_jobs, kind="municipality")
