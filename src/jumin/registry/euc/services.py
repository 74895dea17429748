"""EUC services (standard 10.1-a/b/c): save a definition, queue a run, run it in the background, download.

Every step needs ``EUC_EXTRACT`` (its own right, 10.3-e, C-20) and a purpose; an item with a field-view
permission (本籍・筆頭者, 住民票コード, 在留資格) needs that permission too (10.4-a, C-10), refused and
audited otherwise. A run lists its people in one ``record_results`` entry (like a search), written in
the transaction that stores the file; more than 100 persons need an approved bulk-output request (C-26).
A result can be downloaded by its requester only, until ``RESULT_HOURS`` after the run, and only while
they still hold the field-view permissions of its items; each download is audited with the file hash
and count (C-27).

A run and its job are stored in one transaction when the task backend is the database (the normal
one): both commit or neither does. Other backends (the immediate one of the tests) are enqueued after
the commit. A job marks its run 実行中 when it starts. When a worker starts, ``recover_lost_runs`` finds runs
still 待機中 or 実行中 whose job is gone,
finished or stuck: it queues a lost job again once, or marks the run failed; each step audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from jumin import task_worker
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
    FORMAT_LABELS,
    LABEL_SHEETS,
    CsvEncoding,
    OutputFile,
    OutputFormat,
    file_extension,
    prepared_for,
    write_csv,
    write_labels,
    write_pdf,
    write_xml,
)
from jumin.registry.models_euc import EucDefinition, EucRun

RESULT_HOURS = 24
TITLE = "EUC抽出結果"
# A job running this long when a worker starts is taken as dead (SIGKILL, power loss): a full run over
# 1,000,000 people takes minutes, never hours (docs/benchmarks.md).
STALE_RUNNING_HOURS = 6
LOST_MESSAGE = "抽出の処理が中断されました。もう一度実行してください。"
# States a job has not finished yet: the ones a failure or a worker start's recovery may end.
UNFINISHED = (EucRun.State.QUEUED, EucRun.State.RUNNING)


@dataclass(frozen=True)
class RunSummary:
    """One run as the result list shows it (no personal values)."""

    run_id: int
    state: str
    state_label: str
    output_format: str
    format_label: str
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
    if definition is not None:
        _authorize_items(actor, purpose, action, definition)


def _authorize_items(actor: Any, purpose: str, action: AuditAction, definition: Definition) -> None:
    """The field-view permission of every item the definition reads (10.4-a, C-10)."""
    for item in definition.referenced():
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
    definition = prepared_for(parse_definition(raw), output_format)
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
        if _queues_in_database():
            _enqueue(run.pk)  # the job row commits with the run row, or neither does
        else:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run.pk


def _job() -> Any:
    from jumin.registry.euc.tasks import run_euc_job  # the task module imports this one

    return run_euc_job


def _queues_in_database() -> bool:
    """Whether jobs are rows of this database (django-tasks-db), so queueing can join the transaction."""
    return isinstance(_job().get_backend(), DatabaseBackend)


def _enqueue(run_id: int) -> None:
    _job().enqueue(run_id)


def _write(definition: Definition, run: EucRun, extraction: Any) -> OutputFile:
    output_format = OutputFormat(run.output_format)
    if output_format is OutputFormat.CSV:
        return write_csv(definition, extraction, CsvEncoding(run.encoding))
    if output_format is OutputFormat.XML:
        return write_xml(definition, extraction)
    if output_format in LABEL_SHEETS:
        return write_labels(extraction, LABEL_SHEETS[output_format])
    return write_pdf(definition, extraction, title=TITLE)


def _summary(definition: Definition) -> str:
    keys = [f"euc_{definition.scope.value}", *(c.item.key for c in definition.conditions)]
    return "+".join(dict.fromkeys(keys))


def run_extraction(run_id: int) -> None:
    """The background job: mark the run 実行中, extract, write the file and audit the people listed, all
    in one transaction.

    A refusal (rights withdrawn since the request, no bulk-output approval) or bad definition marks the
    run failed with its Japanese message; the refusal itself is audited by the check that refused.
    """
    if not _start(run_id):
        return  # done, failed or taken up by another worker meanwhile
    run = EucRun.objects.select_related("requested_by").get(pk=run_id)
    actor = run.requested_by
    try:
        definition = prepared_for(parse_definition(run.definition), OutputFormat(run.output_format))
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
        # Never left 実行中 for ever: the clerk sees the failure, the worker's log has the traceback.
        _fail(run.pk, "抽出中にエラーが発生しました。システム担当へ連絡してください。")
        raise
    now = timezone.now()
    with transaction.atomic():
        # Only a run still running is completed: one marked failed meanwhile (a worker start took its
        # job for dead) stays failed, and its people are not listed in the audit as if output.
        finished = EucRun.objects.select_for_update().filter(pk=run.pk, state=EucRun.State.RUNNING)
        if not finished.exists():
            return
        if run.approval_id is not None:
            consume_approval(approval_id=run.approval_id)
        finished.update(
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
            else sum(total.count for total in extraction.totals),
        )


def _start(run_id: int) -> bool:
    """待機中 → 実行中, committed at once so the result list shows it while the job runs; False when the
    run is no longer waiting."""
    with transaction.atomic():
        return bool(
            EucRun.objects.filter(pk=run_id, state=EucRun.State.QUEUED).update(
                state=EucRun.State.RUNNING, started_at=timezone.now()
            )
        )


def _fail(run_id: int, message: str) -> None:
    """Mark an unfinished run 失敗 with a Japanese reason (fixed texts, rule messages: no personal data)."""
    EucRun.objects.filter(pk=run_id, state__in=UNFINISHED).update(
        state=EucRun.State.FAILED, error=message[:300], finished_at=timezone.now()
    )


@dataclass(frozen=True)
class Recovery:
    """What a worker start did about runs left 待機中: queued again, marked failed."""

    requeued: list[int]
    failed: list[int]


def _jobs_of(run_ids: list[int]) -> dict[int, list[DBTaskResult[Any, Any]]]:
    """The task rows of these runs' jobs (the run id is the job's one argument)."""
    jobs: dict[int, list[DBTaskResult[Any, Any]]] = {}
    wanted = set(run_ids)
    rows = DBTaskResult.objects.filter(task_path=_job().module_path).only(
        "status", "started_at", "args_kwargs"
    )
    for job in rows:
        args = (job.args_kwargs or {}).get("args") or []
        if len(args) == 1 and args[0] in wanted:
            jobs.setdefault(args[0], []).append(job)
    return jobs


def _lost_outcome(run: EucRun, jobs: list[DBTaskResult[Any, Any]], now: Any) -> str:
    """``wait`` (a job will run it), ``requeue`` or ``fail``, with why in the audit reason."""
    if any(job.status == "READY" for job in jobs):
        return "wait"
    stale = now - timedelta(hours=STALE_RUNNING_HOURS)
    running = [job for job in jobs if job.status == "RUNNING"]
    if running:
        return "fail" if all(job.started_at and job.started_at < stale for job in running) else "wait"
    return "fail" if run.requeued_at is not None else "requeue"


def recover_lost_runs(now: Any = None) -> Recovery:
    """At a worker's start: the runs still 待機中 or 実行中 whose job is gone or finished (lost between a
    commit and its queueing, or a job that died before marking its run) are queued again, once; a run whose
    job was lost again, or has been running over ``STALE_RUNNING_HOURS`` (a killed worker), is marked
    failed for the clerk to request again. Each run changed is audited (``euc:run:recover``)."""
    if not _queues_in_database():
        return Recovery([], [])  # jobs are not rows here: nothing to compare the runs with
    now = now or timezone.now()
    waiting = list(EucRun.objects.filter(state__in=UNFINISHED).defer("content").order_by("pk"))
    jobs = _jobs_of([run.pk for run in waiting])
    requeued: list[int] = []
    failed: list[int] = []
    for run in waiting:
        outcome = _lost_outcome(run, jobs.get(run.pk, []), now)
        if outcome == "wait":
            continue
        with transaction.atomic():
            still = EucRun.objects.select_for_update().filter(pk=run.pk, state=run.state)
            if not still.exists():
                continue
            if outcome == "requeue":
                # Back to 待機中 (a run whose worker died 実行中 too), for the new job to take up.
                still.update(state=EucRun.State.QUEUED, requeued_at=now, started_at=None)
                _enqueue(run.pk)
                requeued.append(run.pk)
            else:
                still.update(state=EucRun.State.FAILED, error=LOST_MESSAGE, finished_at=now)
                failed.append(run.pk)
            record_event(
                actor=None,
                action=AuditAction.EUC_RUN_RECOVER,
                subject_type="euc_run",
                subject_id=str(run.pk),
                reason=f"euc run {run.pk} {'requeued' if outcome == 'requeue' else 'marked failed'}: "
                f"job {'missing' if not jobs.get(run.pk) else 'finished or stale'}",
            )
    return Recovery(requeued, failed)


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
            format_label=FORMAT_LABELS.get(OutputFormat(run.output_format), run.output_format),
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
    # The file holds what the items showed at the run: a field grant withdrawn since then withholds it
    # (C-10), refused and audited as at the request.
    _authorize_items(actor, purpose, AuditAction.EUC_RESULT_DOWNLOAD, parse_definition(run.definition))
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
    return f"euc-{run.pk}.{file_extension(output_format)}", CONTENT_TYPES[output_format], bytes(run.content)


def prune_finished_jobs() -> None:
    """Delete the task rows (django-tasks-db) of jobs finished over 14 days ago, the package's default;
    each ``EucRun`` keeps its own outcome, and a job's row holds only the run id and a failure's traceback."""
    call_command("prune_db_task_results", queue_name="*", verbosity=0)


# Result files go at their limit even when nobody opens the result list: the node's daily housekeeping.
housekeeping.register("registry.euc_expire_results", expire_results, kind="municipality")
housekeeping.register("registry.euc_prune_finished_jobs", prune_finished_jobs, kind="municipality")
task_worker.on_start("registry.euc_recover_lost_runs", recover_lost_runs)
