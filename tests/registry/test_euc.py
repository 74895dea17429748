"""EUC extraction (standard 10.1-a/b/c; controls.md C-9, C-10, C-20, C-26; docs/euc.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.registry.euc import services
from jumin.registry.euc.catalogue import CATALOGUE
from jumin.registry.euc.definition import parse_definition
from jumin.registry.euc.writers import CsvEncoding, OutputFormat
from jumin.registry.models_euc import EucRun
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE
from tests.registry.test_restrictions_screens import new_measure, officer

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here

NAMES = {"items": ["atena_number", "surname", "given_name", "birth_date"], "sort": [{"item": "birth_date"}]}


@pytest.fixture
def euc_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("euc", Permission.EUC_EXTRACT)


def run(actor: User, raw: dict[str, Any], **kwargs: Any) -> EucRun:
    """Queue and run (the test task backend runs the job on commit) and return the finished run."""
    run_id = services.request_extraction(
        actor=actor, purpose=PURPOSE, raw=raw, output_format=kwargs.pop("fmt", OutputFormat.CSV), **kwargs
    )
    if EucRun.objects.get(pk=run_id).state == EucRun.State.QUEUED:
        services.run_extraction(run_id)
    return EucRun.objects.get(pk=run_id)


def csv_rows(result: EucRun) -> list[list[str]]:
    return list(csv.reader(io.StringIO(bytes(result.content).decode(result.encoding))))


def test_catalogue_has_names_types_and_codes_but_never_the_individual_number() -> None:
    assert CATALOGUE["surname"].label == "氏"
    assert CATALOGUE["surname"].gaiji
    assert CATALOGUE["sex"].codes == {"male": "男", "female": "女"}
    assert "individual_number" not in CATALOGUE
    with pytest.raises(DomainError) as refused:
        parse_definition({"items": ["individual_number"]})
    assert refused.value.code == "euc.never_extractable"
    assert "個人番号" in refused.value.reason


def test_a_malformed_condition_is_refused_naming_the_item() -> None:
    with pytest.raises(DomainError) as refused:
        parse_definition(
            {"items": ["surname"], "conditions": [{"item": "birth_date", "op": "lt", "value": "昭和"}]}
        )
    assert refused.value.field == "conditions.0"
    assert "「生年月日」" in refused.value.reason
    with pytest.raises(DomainError) as reversed_range:
        parse_definition(
            {
                "items": ["surname"],
                "conditions": [
                    {"item": "birth_date", "op": "between", "value": "2000-01-01", "value2": "1990-01-01"}
                ],
            }
        )
    assert reversed_range.value.code == "euc.range"


def test_rows_are_extracted_with_conditions_sorted_and_audited_with_the_people_listed(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User
) -> None:
    raw = {
        **NAMES,
        "conditions": [
            {"item": "sex", "op": "eq", "value": "female"},
            {"item": "birth_date", "op": "gt", "value": "1961-01-01"},
        ],
    }
    result = run(euc_clerk, raw, encoding=CsvEncoding.UTF8_BOM)
    assert result.state == EucRun.State.DONE
    assert bytes(result.content).startswith(b"\xef\xbb\xbf")
    rows = csv_rows(result)
    assert rows[0] == ["宛名番号", "氏", "名", "生年月日"]
    assert [row[2] for row in rows[1:]] == ["花子", "二葉", "三奈"]  # 1962, 1990, 1992
    entry = AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN).get()
    assert entry.purpose == PURPOSE
    assert entry.query_summary == "euc_current+sex+birth_date"
    listed = set(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True))
    assert listed == {row[0] for row in rows[1:]}


def test_or_conditions_in_list_and_counts_grouped_by_an_item(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User
) -> None:
    either = {
        "items": ["given_name"],
        "combine": "or",
        "conditions": [
            {"item": "given_name", "op": "in", "value": "太郎、一郎"},
            {"item": "surname", "op": "prefix", "value": "佐"},
        ],
        "sort": [{"item": "given_name", "descending": True}],
    }
    assert [row[0] for row in csv_rows(run(euc_clerk, either))[1:]] == ["太郎", "二葉", "一郎"]
    counted = run(euc_clerk, {"mode": "count", "group_by": "sex"})
    assert csv_rows(counted) == [["性別", "件数"], ["female", "3"], ["male", "2"]]
    entry = AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN).order_by("-seq").first()
    assert entry is not None
    assert entry.result_count == 5
    assert not AuditResultSubject.objects.filter(entry=entry).exists()  # a count lists nobody


def test_rows_outside_shift_jis_are_refused_and_listed(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded], euc_clerk: User
) -> None:
    from jumin.registry.services import record_move_in
    from tests.registry.conftest import family_move_in, person

    draft = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[
                    person("剝田", "一", "ヨシダ", "ハジメ"),
                    person("山田", "二", "ヤマダ", "ジ", relationship="妻"),
                ]
            ),
        )
    )
    result = run(euc_clerk, {"items": ["atena_number", "surname"]}, encoding=CsvEncoding.CP932)
    assert [row[1] for row in csv_rows(result)[1:]] == ["山田"]
    assert result.refused_rows == [{"row": 1, "atena_number": draft.atena_numbers[0], "items": ["氏"]}]
    jis2004 = run(euc_clerk, {"items": ["surname"]}, encoding=CsvEncoding.SHIFT_JIS_2004)
    assert [row[0] for row in csv_rows(jis2004)[1:]] == ["剝田", "山田"]
    assert jis2004.refused_rows == []


def test_people_under_a_support_measure_are_left_out_and_counted(
    family: DraftRecorded, euc_clerk: User, officer: User
) -> None:
    new_measure(officer, family.atena_numbers[1])
    result = run(euc_clerk, {"items": ["atena_number"]})
    assert [row[0] for row in csv_rows(result)[1:]] == [family.atena_numbers[0], family.atena_numbers[2]]
    assert result.excluded_count == 1
    assert AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN).get().support_measure


def test_euc_needs_its_own_permission_and_the_field_view_permissions(
    family: DraftRecorded, make_clerk: Callable[..., User], euc_clerk: User
) -> None:
    everything_else = make_clerk("all", *(p for p in Permission if p is not Permission.EUC_EXTRACT))
    with pytest.raises(AccessRefused):
        services.request_extraction(
            actor=everything_else, purpose=PURPOSE, raw=NAMES, output_format=OutputFormat.CSV
        )
    with pytest.raises(AccessRefused):
        services.request_extraction(
            actor=euc_clerk, purpose=PURPOSE, raw={"items": ["honseki"]}, output_format=OutputFormat.CSV
        )
    refusals = AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN, outcome="refused")
    assert refusals.count() == 2
    assert not EucRun.objects.exists()
    honseki_clerk = make_clerk("honseki", Permission.EUC_EXTRACT, Permission.FIELD_HONSEKI_VIEW)
    rows = csv_rows(run(honseki_clerk, {"items": ["honseki"]}))
    assert rows[1] == ["長崎県佐世保市八幡町1番地"]


def test_xml_and_pdf_outputs(family: DraftRecorded, euc_clerk: User) -> None:
    xml = run(euc_clerk, {"items": ["given_name"], "sort": [{"item": "given_name"}]}, fmt=OutputFormat.XML)
    root = ET.fromstring(bytes(xml.content))  # noqa: S314 (the file this test just wrote)
    assert root.find("items/item").attrib == {"key": "given_name", "label": "名"}  # type: ignore[union-attr]
    assert sorted(v.text or "" for v in root.iter("value")) == ["三奈", "太郎", "花子"]
    pdf = run(euc_clerk, {"items": ["given_name"]}, fmt=OutputFormat.PDF)
    assert bytes(pdf.content).startswith(b"%PDF")
    assert pdf.row_count == 3


def test_more_than_100_people_need_an_approved_bulk_output(family: DraftRecorded, euc_clerk: User) -> None:
    from jumin.accounts import approvals

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(approvals, "BULK_OUTPUT_THRESHOLD", 2)
        result = run(euc_clerk, {"items": ["atena_number"]})
    assert result.state == EucRun.State.FAILED
    assert result.content is None
    assert result.error == "大量出力（100人を超える出力）には管理責任者の事前承認が必要です。"
    assert AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN, outcome="refused").count() == 1


def test_download_is_the_requesters_own_audited_and_expires(
    family: DraftRecorded, euc_clerk: User, make_clerk: Callable[..., User]
) -> None:
    result = run(euc_clerk, {"items": ["atena_number"]})
    name, content_type, content = services.download_result(actor=euc_clerk, purpose=PURPOSE, run_id=result.pk)
    assert (name, content_type) == (f"euc-{result.pk}.csv", "text/csv")
    assert content == bytes(result.content)
    entry = AuditEntry.objects.filter(action=AuditAction.EUC_RESULT_DOWNLOAD).get()
    assert entry.after_digest == result.file_sha256
    assert entry.result_count == 3
    colleague = make_clerk("colleague", Permission.EUC_EXTRACT)
    with pytest.raises(DomainError):
        services.download_result(actor=colleague, purpose=PURPOSE, run_id=result.pk)
    EucRun.objects.filter(pk=result.pk).update(expires_at=result.finished_at)
    with pytest.raises(DomainError):
        services.download_result(actor=euc_clerk, purpose=PURPOSE, run_id=result.pk)
    assert EucRun.objects.get(pk=result.pk).content is None


def test_drafts_are_never_extracted(clerk: User, code_pool: list[str], euc_clerk: User) -> None:
    from jumin.registry.services import record_move_in
    from tests.registry.conftest import family_move_in

    record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    assert csv_rows(run(euc_clerk, {"items": ["atena_number"], "scope": "history"})) == [["宛名番号"]]


def test_saved_definitions_are_per_user(euc_clerk: User, make_clerk: Callable[..., User]) -> None:
    saved = services.save_definition(actor=euc_clerk, purpose=PURPOSE, name="女性一覧", raw=NAMES)
    assert services.saved_definitions(actor=euc_clerk) == [(saved, "女性一覧")]
    other = make_clerk("other", Permission.EUC_EXTRACT)
    assert services.saved_definitions(actor=other) == []
    assert services.saved_definition(actor=other, definition_id=saved) is None


def test_the_run_is_queued_as_a_task_after_commit(
    family: DraftRecorded, euc_clerk: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run_id = services.request_extraction(
            actor=euc_clerk, purpose=PURPOSE, raw={"items": ["atena_number"]}, output_format=OutputFormat.CSV
        )
        assert EucRun.objects.get(pk=run_id).state == EucRun.State.QUEUED
    assert EucRun.objects.get(pk=run_id).state == EucRun.State.DONE  # the test task backend runs at once


NARROWING_CASES = [
    [{"item": "sex", "op": "eq", "value": "female"}],
    [{"item": "birth_date", "op": "between", "value": "1960-01-01", "value2": "1962-12-31"}],
    [{"item": "surname", "op": "prefix", "value": "佐"}, {"item": "is_head", "op": "eq", "value": "0"}],
    [{"item": "given_name", "op": "in", "value": "太郎、二葉"}],
    [{"item": "removal_date", "op": "empty"}, {"item": "history_no", "op": "empty"}],
    [{"item": "katagaki", "op": "empty"}],
    [
        {"item": "change_date", "op": "lt", "value": "2026-11-02"},
        {"item": "relationship", "op": "eq", "value": "子"},
    ],
]


@pytest.mark.parametrize("conditions", NARROWING_CASES)
def test_the_sql_prefilter_never_drops_a_row_the_conditions_accept(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User, conditions: list[dict[str, str]]
) -> None:
    from django.db.models import Q

    from jumin.registry.euc import extraction

    definition = parse_definition({"items": ["atena_number"], "scope": "history", "conditions": conditions})
    narrowed = extraction.extract(definition).atena_numbers
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extraction, "prefilter", lambda _definition: Q())
        assert extraction.extract(definition).atena_numbers == narrowed


def test_the_sql_prefilter_narrows_and_conditions(family: DraftRecorded) -> None:
    from jumin.registry.euc.extraction import prefilter
    from jumin.registry.models import ResidentSnapshot

    definition = parse_definition({"items": ["atena_number"], "conditions": NARROWING_CASES[0]})
    assert ResidentSnapshot.objects.filter(prefilter(definition)).count() == 2


def test_an_unexpected_failure_marks_the_run_failed(family: DraftRecorded, euc_clerk: User) -> None:

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "write_csv", broken)
        with pytest.raises(OSError, match="disk full"):
            run(euc_clerk, {"items": ["atena_number"]})
    failed = EucRun.objects.get()
    assert failed.state == EucRun.State.FAILED
    assert failed.error.startswith("抽出中にエラーが発生しました")


def test_scopes_read_current_removed_and_history_rows(
    family: DraftRecorded, clerk: User, reviewer: User, euc_clerk: User
) -> None:
    from jumin.registry.services import commit_change
    from jumin.registry.workflows.death import record_death
    from tests.registry.test_death import death

    wife = family.atena_numbers[1]
    draft = record_death(actor=clerk, purpose=PURPOSE, death=death(wife))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    items = {"items": ["atena_number", "history_no", "status", "removal_reason"]}

    def rows(scope: str) -> list[list[str]]:
        return csv_rows(run(euc_clerk, {**items, "scope": scope, "sort": [{"item": "history_no"}]}))[1:]

    assert [row[0] for row in rows("current")] == [family.atena_numbers[0], family.atena_numbers[2]]
    assert rows("removed") == [[wife, "2", "removed", "死亡"]]
    assert len(rows("current_and_removed")) == 3
    assert [row[1:3] for row in rows("history") if row[0] == wife] == [["1", "resident"], ["2", "removed"]]


def test_program_flags_and_foreign_items(
    clerk: User,
    code_pool: list[str],
    commit: Callable[[DraftRecorded], DraftRecorded],
    make_clerk: Callable[..., User],
    euc_clerk: User,
) -> None:
    from datetime import date

    from jumin.domain.resident import ResidentKind
    from jumin.registry.programs import Program, ProgramUpdate, record_program
    from jumin.registry.services import record_move_in
    from tests.registry.conftest import family_move_in, person

    members = [
        person("グエン", "アン", "グエン", "アン", kind=ResidentKind.FOREIGN),
        person(relationship="同居人"),
    ]
    draft = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=members)))
    nhi = make_clerk("nhi", Permission.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT, Permission.RESIDENT_VIEW)
    record_program(
        actor=nhi,
        purpose=PURPOSE,
        update=ProgramUpdate(
            atena_number=draft.atena_numbers[0],
            program=Program.NATIONAL_HEALTH_INSURANCE,
            enrolled=True,
            acquired_on=date(2026, 11, 1),
        ),
    )
    raw = {
        "items": ["atena_number", "nationality_code", "program_national_health_insurance"],
        "conditions": [{"item": "program_national_health_insurance", "op": "eq", "value": "1"}],
    }
    assert csv_rows(run(euc_clerk, raw))[1:] == [[draft.atena_numbers[0], "704", "1"]]
    with pytest.raises(AccessRefused):
        run(euc_clerk, {"items": ["residence_status"]})
    with pytest.raises(AccessRefused):
        run(euc_clerk, {"items": ["program_adult_guardianship"]})
    status_clerk = make_clerk("status", Permission.EUC_EXTRACT, Permission.FIELD_RESIDENCE_STATUS_VIEW)
    rows = csv_rows(
        run(
            status_clerk,
            {"items": ["residence_status"], "conditions": [{"item": "kind", "op": "eq", "value": "F"}]},
        )
    )
    assert rows[1:] == [["技術・人文知識・国際業務"]]
