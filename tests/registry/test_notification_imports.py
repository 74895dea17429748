"""Imports into 転入 drafts (standard 10.8-a; docs/workflows/import.md, 「届出データの取込」)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.move_out_qr import QrMoveOut, QrPerson, payload
from jumin.domain.errors import DomainError
from jumin.domain.relationship_proof import RelationshipProof
from jumin.registry.models import Change, ChangeState, ResidentSnapshot
from jumin.registry.notification_imports import CsvImportResult, import_notification_csv, read_move_out_qr
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_naturalisation import foreign_move_in, foreign_person
from tests.registry.test_special_move_screens import shown_fields

pytestmark = pytest.mark.django_db

HEAD = QrPerson(
    juminhyo_code="",
    name="青木 太郎",
    furigana="アオキ タロウ",
    birth_date="1960-04-01",
    birth_date_as_recorded="昭和35年4月1日",
    sex="1",
    relationship="世帯主",
    honseki="長崎県佐世保市八幡町1番地",
    hittousha="青木 太郎",
    nationality="",
)
FOREIGN = QrPerson(
    juminhyo_code="",
    name="NGUYEN AN",
    furigana="グエン アン",
    birth_date="1990-02-03",
    birth_date_as_recorded="1990年2月3日",
    sex="2",
    relationship="同居人",
    honseki="",
    hittousha="",
    nationality="704",
)
QR = QrMoveOut(
    copy_number="12",
    municipality="日野市",
    issue_date="2026-11-01",
    planned_date="2026-11-01",
    destination="長崎県佐世保市",
    address="東京都日野市神明1丁目1番1号",
    head_name="青木 太郎",
    notification_kind="届出",
    people=(HEAD, FOREIGN),
)

HEADER = (
    "届出番号,転入日,届出日,住所,転入前住所,"
    "住民種別,氏,名,氏フリガナ,名フリガナ,生年月日,性別,続柄,本籍,筆頭者"
)
COMMON = "R8.11.1,2026-11-05,長崎県佐世保市相生町1番1号,東京都日野市神明1丁目1番1号"
LINES = [
    f"A1,{COMMON},日本人,青木,太郎,アオキ,タロウ,S35.4.1,男,世帯主,長崎県佐世保市八幡町1番地,青木 太郎",
    f"A1,{COMMON},日本人,青木,花子,アオキ,ハナコ,S37.8.15,女,妻,長崎県佐世保市八幡町1番地,青木 太郎",
    f"B2,{COMMON},日本人,佐藤,一郎,サトウ,イチロウ,S40.1.1,男,世帯主,長崎県佐世保市八幡町2番地,佐藤 一郎",
    f"B2,{COMMON},日本人,佐藤,次郎,サトウ,ジロウ,平成99年1月1日,男,子,長崎県佐世保市八幡町2番地,佐藤 一郎",
]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([HEADER, *lines]).encode(encoding)


# --- the 転出証明書's QR code --------------------------------------------------------------


def test_the_qr_code_gives_the_movers_rows_and_the_previous_address(clerk: User) -> None:
    start = read_move_out_qr(actor=clerk, purpose=PURPOSE, payload=payload(QR))
    assert start.previous_address == "東京都日野市神明1丁目1番1号"
    assert start.municipality == "日野市"
    head, foreign = start.members
    assert (head["surname"], head["given_name"], head["surname_kana"]) == ("青木", "太郎", "アオキ")
    assert head["birth_date"] == "昭和35年4月1日"  # as recorded, in 和暦
    assert (head["kind"], head["sex"], head["relationship"]) == ("J", "male", "世帯主")
    assert (foreign["kind"], foreign["birth_date"], foreign["nationality_code"]) == ("F", "1990-02-03", "704")
    entry = AuditEntry.objects.get(action="resident:import:run", subject_type="move_out_qr")
    assert entry.result_count == 2
    assert "青木" not in entry.reason
    assert not Change.objects.exists()  # a start, not a draft


def test_an_unreadable_qr_text_is_refused_naming_the_field(clerk: User) -> None:
    with pytest.raises(DomainError) as caught:
        read_move_out_qr(actor=clerk, purpose=PURPOSE, payload="JUMIN-TENSHUTSU/9\nH")
    assert (caught.value.field, caught.value.code) == ("payload", "import.qr_unreadable")


def test_the_qr_reading_needs_the_record_permission(make_clerk: Callable[..., User]) -> None:
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        read_move_out_qr(actor=viewer, purpose=PURPOSE, payload=payload(QR))


def test_the_move_in_screen_starts_from_the_qr_code(clerk: User) -> None:
    body = (
        logged_in(clerk)
        .post(reverse("registry:move_in"), {"purpose": PURPOSE, "qr_payload": payload(QR), "read_qr": "1"})
        .content.decode()
    )
    fields = shown_fields(body)
    assert fields["previous_address"] == "東京都日野市神明1丁目1番1号"
    assert fields["form-TOTAL_FORMS"] == "2"
    assert (fields["form-0-surname"], fields["form-1-nationality_code"]) == ("青木", "704")
    assert "日野市" in body
    assert not Change.objects.exists()


def test_the_qr_api_answers_the_members_of_a_move_in(clerk: User) -> None:
    response = logged_in(clerk).post(
        "/api/registry/imports/move-out-qr",
        data=json.dumps({"purpose": PURPOSE, "payload": payload(QR)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [m["surname"] for m in response.json()["members"]] == ["青木", "NGUYEN"]


# --- CSV files of 転入届 forms ----------------------------------------------------------------


def test_each_valid_notification_becomes_a_draft_and_an_invalid_one_none(
    clerk: User, code_pool: list[str]
) -> None:
    result = import_notification_csv(actor=clerk, purpose=PURPOSE, content=csv_bytes(*LINES))
    assert [(d.group, d.rows) for d in result.drafts] == [("A1", (2, 3))]
    change = Change.objects.get()
    assert change.state == ChangeState.DRAFT  # committed only by another clerk's review
    assert ResidentSnapshot.objects.filter(change=change).count() == 2
    assert not ResidentSnapshot.objects.filter(surname="佐藤").exists()  # nothing partial of B2
    [error] = result.errors
    assert (error.row, error.group, error.column) == (5, "B2", "生年月日")
    assert error.reason
    assert error.remedy


def test_an_error_found_by_the_domain_names_the_row_of_its_member(clerk: User, code_pool: list[str]) -> None:
    bad_kana = LINES[1].replace("アオキ,ハナコ", "アオキ,花子")
    result = import_notification_csv(actor=clerk, purpose=PURPOSE, content=csv_bytes(LINES[0], bad_kana))
    [error] = result.errors
    assert (error.row, error.column) == (3, "名フリガナ")
    assert not Change.objects.exists()


def test_rows_of_one_notification_must_agree_on_its_items(clerk: User, code_pool: list[str]) -> None:
    moved = LINES[1].replace("相生町1番1号", "相生町2番2号")
    result = import_notification_csv(actor=clerk, purpose=PURPOSE, content=csv_bytes(LINES[0], moved))
    [error] = result.errors
    assert (error.row, error.column, error.code) == (
        3,
        "住所",
        "import.csv_group_differs",
    )  # the differing row
    assert not Change.objects.exists()


def test_a_shift_jis_file_is_read(clerk: User, code_pool: list[str]) -> None:
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content=csv_bytes(*LINES[:2], encoding="cp932")
    )
    assert len(result.drafts) == 1


def test_a_wrong_header_refuses_the_whole_file(clerk: User, code_pool: list[str]) -> None:
    content = csv_bytes(*LINES).replace("生年月日".encode(), "誕生日".encode(), 1)
    with pytest.raises(DomainError) as caught:
        import_notification_csv(actor=clerk, purpose=PURPOSE, content=content)
    assert caught.value.code == "import.csv_header"
    assert "誕生日" in caught.value.reason
    assert not Change.objects.exists()


def test_individual_numbers_need_their_permission_before_any_draft(clerk: User, code_pool: list[str]) -> None:
    header = HEADER + ",個人番号"
    content = "\n".join([header, LINES[0] + ",", LINES[1] + ",123456789018"]).encode()
    with pytest.raises(AccessRefused):
        import_notification_csv(actor=clerk, purpose=PURPOSE, content=content)
    assert not Change.objects.exists()


def test_the_run_is_audited_without_personal_data(clerk: User, code_pool: list[str]) -> None:
    import_notification_csv(actor=clerk, purpose=PURPOSE, content=csv_bytes(*LINES))
    run = AuditEntry.objects.get(action="resident:import:run", subject_type="notification_csv")
    assert run.result_count == 1
    assert "sha256" in run.reason
    assert "青木" not in run.reason
    assert "佐藤" not in run.reason
    assert AuditEntry.objects.filter(action="resident:move_in:record", outcome="done").count() == 1


def test_the_import_screen_lists_drafts_and_errors_by_row(clerk: User, code_pool: list[str]) -> None:
    upload = SimpleUploadedFile("moves.csv", csv_bytes(*LINES), content_type="text/csv")
    response = logged_in(clerk).post(
        reverse("registry:notification_csv_import"), {"purpose": PURPOSE, "file": upload}
    )
    body = response.content.decode()
    assert "1件を仮登録しました" in body
    assert "<td>5</td><td>B2</td><td>生年月日</td>" in body
    assert "平成99年" not in body  # the value is not echoed


def test_the_csv_api_answers_drafts_and_errors(clerk: User, code_pool: list[str]) -> None:
    body = {"purpose": PURPOSE, "csv": csv_bytes(*LINES).decode()}
    response = logged_in(clerk).post(
        "/api/registry/imports/notifications", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [d["group"] for d in answer["drafts"]] == ["A1"]
    assert [(e["row"], e["column"]) for e in answer["errors"]] == [(5, "生年月日")]


def test_the_command_enters_the_drafts_and_fails_listing_the_refused_rows(
    clerk: User, code_pool: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "moves.csv"
    path.write_bytes(csv_bytes(*LINES))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_notifications", str(path), operator=clerk.username, purpose=PURPOSE, stdout=out)
    assert "仮登録 1件、誤り 1件" in out.getvalue()
    assert "5行目 生年月日" in out.getvalue()
    assert "佐藤" not in out.getvalue()
    assert Change.objects.count() == 1


def test_the_qr_api_follows_the_permission_triple(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/imports/move-out-qr",
        Permission.RESIDENT_RECORD,
        data=json.dumps({"purpose": PURPOSE, "payload": payload(QR)}),
        content_type="application/json",
    )


def test_the_csv_api_refuses_without_the_record_permission_and_writes_nothing(
    make_clerk: Callable[..., User], code_pool: list[str]
) -> None:
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    body = {"purpose": PURPOSE, "csv": csv_bytes(*LINES).decode()}
    response = logged_in(viewer).post(
        "/api/registry/imports/notifications", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Change.objects.exists()
    assert AuditEntry.objects.get(subject_type="notification_csv").outcome == "refused"


# --- 転居届 rows ------------------------------------------------------------------------------

MOVE_HEADER = "届出番号,届出種別,転居日,届出日,住所,宛名番号,続柄"
NEW_HOME = "長崎県佐世保市八幡町2番3号"


def move_csv(*lines: str) -> bytes:
    return "\n".join([MOVE_HEADER, *lines]).encode()


def test_a_move_within_notification_becomes_one_draft_of_its_movers(
    clerk: User, family: DraftRecorded
) -> None:
    lines = [f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},{atena}," for atena in family.atena_numbers]
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content="\n".join([MOVE_HEADER, *lines]).encode()
    )
    assert result.errors == []
    [imported] = result.drafts
    change = Change.objects.get(pk=imported.draft.change_id)
    assert change.state == ChangeState.DRAFT
    assert {s.address for s in ResidentSnapshot.objects.filter(change=change)} == {NEW_HOME}


def test_a_move_within_row_without_its_atena_number_names_the_row(clerk: User, family: DraftRecorded) -> None:
    first = family.atena_numbers[0]
    lines = [
        f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},{first},",
        f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},,",
    ]
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content="\n".join([MOVE_HEADER, *lines]).encode()
    )
    [error] = result.errors
    assert (error.row, error.column, error.code) == (3, "宛名番号", "import.atena_number_required")
    assert Change.objects.filter(state=ChangeState.DRAFT).count() == 0


def test_an_unknown_mover_is_named_by_the_row(clerk: User, family: DraftRecorded) -> None:
    first = family.atena_numbers[0]
    lines = [
        f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},{first},",
        f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},00000000000000,",
    ]
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content="\n".join([MOVE_HEADER, *lines]).encode()
    )
    [error] = result.errors
    assert (error.row, error.column) == (3, "宛名番号")
    assert Change.objects.filter(state=ChangeState.DRAFT).count() == 0


def test_an_event_that_is_not_imported_is_refused_by_row(clerk: User, family: DraftRecorded) -> None:
    line = f"T1,出生,R8.11.15,2026-11-20,{NEW_HOME},{family.atena_numbers[0]},"
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content="\n".join([MOVE_HEADER, line]).encode()
    )
    [error] = result.errors
    assert (error.row, error.column, error.code) == (2, "届出種別", "import.event")


# --- 続柄を証する書類 (standard 1.1.11-c) ---------------------------------------------------------

FOREIGN_HEADER = (
    "届出番号,異動事由,転入日,届出日,住所,転入前住所,住民種別,氏,名,氏フリガナ,名フリガナ,生年月日,性別,続柄,"
    "国籍・地域コード,30条の45区分,在留資格,在留期間,在留期間の満了の日,在留カード番号,氏名（アルファベット）,"
    "続柄を証する書類,続柄を証する書類の番号・日付"
)
FOREIGN_COMMON = "F1,国外転入等,2026-11-01,2026-11-05,長崎県佐世保市相生町1番1号,ベトナム,外国人,NGUYEN"
FOREIGN_STAY = "704,中長期在留者,技術・人文知識・国際業務,5年,2029-03-31"
MARRIAGE_PROOF = "外国政府等発行の婚姻証明書,2019-05-01 発行 第123号"


def foreign_family_csv(proof: str) -> bytes:
    head = f"{FOREIGN_COMMON},VAN AN,グエン,バンアン,1990-05-01,男,世帯主,{FOREIGN_STAY}"
    wife = f"{FOREIGN_COMMON},THI MAI,グエン,ティマイ,1992-07-01,女,妻,{FOREIGN_STAY}"
    head += ",AB12345678CD,NGUYEN VAN AN,,"
    wife += f",AB87654321CD,NGUYEN THI MAI,{proof}"
    return "\n".join([FOREIGN_HEADER, head, wife]).encode()


def test_a_foreign_kinship_relationship_is_imported_with_its_document(
    clerk: User, code_pool: list[str]
) -> None:
    result = import_notification_csv(actor=clerk, purpose=PURPOSE, content=foreign_family_csv(MARRIAGE_PROOF))
    assert result.errors == []
    wife = ResidentSnapshot.objects.get(given_name="THI MAI")
    assert wife.relationship_proof == {
        "kind": "外国政府等発行の婚姻証明書",
        "reference": "2019-05-01 発行 第123号",
    }


def test_a_foreign_kinship_relationship_without_its_document_names_the_row_and_column(
    clerk: User, code_pool: list[str]
) -> None:
    result = import_notification_csv(actor=clerk, purpose=PURPOSE, content=foreign_family_csv(","))
    [error] = result.errors
    assert (error.row, error.column, error.code) == (
        3,
        "続柄を証する書類",
        "resident.relationship_proof_required",
    )
    assert not Change.objects.exists()


def test_a_move_within_that_sets_a_foreign_kinship_relationship_takes_the_document_by_row(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    marriage = RelationshipProof("外国政府等発行の婚姻証明書", "2019-05-01 発行 第123号")
    wife = foreign_person(given_name="THI MAI", relationship="妻", relationship_proof=marriage)
    lodger = foreign_person(given_name="MINH", given_name_kana="ミン", relationship="同居人")
    moved = record_move_in(
        actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(foreign_person(), wife, lodger)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    _, wife_atena, lodger_atena = moved.atena_numbers
    header = f"{MOVE_HEADER},続柄を証する書類,続柄を証する書類の番号・日付"

    def rows(proof: str) -> bytes:  # the wife and the lodger form a new household: the lodger becomes 子
        lines = [
            f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},{wife_atena},世帯主,,",
            f"T1,転居,R8.11.15,2026-11-20,{NEW_HOME},{lodger_atena},子,{proof}",
        ]
        return "\n".join([header, *lines]).encode()

    refused = import_notification_csv(actor=clerk, purpose=PURPOSE, content=rows(","))
    [error] = refused.errors
    assert (error.row, error.column, error.code) == (
        3,
        "続柄を証する書類",
        "resident.relationship_proof_required",
    )
    assert not Change.objects.filter(state=ChangeState.DRAFT).exists()
    result = import_notification_csv(
        actor=clerk, purpose=PURPOSE, content=rows("住民票の写し,2026-11-01 発行")
    )
    assert result.errors == []
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=result.drafts[0].draft.change_id)
    assert current(lodger_atena).relationship_proof == {
        "kind": "住民票の写し",
        "reference": "2026-11-01 発行",
    }


# --- 転出届 and 世帯変更届 rows ------------------------------------------------------------------

OUT_HEADER = "届出番号,届出種別,転出予定日,届出日,転出先,転入予定地市町村コード,宛名番号"
HOUSEHOLD_HEADER = "届出番号,届出種別,異動日,届出日,世帯番号,移る先の世帯番号,宛名番号,続柄"


def import_rows(clerk: User, header: str, *lines: str) -> CsvImportResult:
    return import_notification_csv(actor=clerk, purpose=PURPOSE, content="\n".join([header, *lines]).encode())


def test_a_move_out_notification_becomes_one_draft_and_a_bad_one_names_its_row(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    good = [f"O1,転出,R8.11.30,2026-11-20,福岡県福岡市中央区天神1丁目,,{a}" for a in family.atena_numbers]
    sato = other_household.atena_numbers[0]
    bad = [
        f"O2,転出,R8.11.30,2026-11-20,福岡市,,{sato}",
        "O2,転出,R8.11.30,2026-11-20,福岡市,,99999999999999",
    ]
    result = import_rows(clerk, OUT_HEADER, *good, *bad)
    [imported] = result.drafts
    assert (imported.group, imported.rows) == ("O1", (2, 3, 4))
    change = Change.objects.get(pk=imported.draft.change_id)
    assert change.state == ChangeState.DRAFT
    drafts = ResidentSnapshot.objects.filter(change=change)
    assert {s.planned_destination for s in drafts} == {"福岡県福岡市中央区天神1丁目"}
    [error] = result.errors
    assert (error.row, error.group, error.column, error.code) == (
        6,
        "O2",
        "宛名番号",
        "registry.resident_not_found",
    )
    assert not ResidentSnapshot.objects.filter(resident__atena_number=sato, change__state=ChangeState.DRAFT)
    assert (
        AuditEntry.objects.filter(action="resident:import:run", subject_type="notification_csv").count() == 1
    )


def test_a_move_out_refused_by_the_workflow_names_the_column(clerk: User, family: DraftRecorded) -> None:
    line = f"O1,転出,R8.11.30,2026-11-20,,,{family.atena_numbers[0]}"
    result = import_rows(clerk, OUT_HEADER, line)
    [error] = result.errors
    assert (error.row, error.column, error.code) == (2, "転出先", "registry.destination_required")
    assert result.drafts == []


def test_household_change_notifications_become_drafts_of_their_kind(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    sato, sato_child = other_household.atena_numbers
    common = "R8.11.15,2026-11-20"
    lines = [
        f"H1,世帯分離,{common},{family.household_number},,{child},世帯主",
        f"H2,世帯合併,{common},{other_household.household_number},{family.household_number},{sato},同居人",
        f"H2,世帯合併,{common},{other_household.household_number},{family.household_number},{sato_child},同居人",
    ]
    result = import_rows(clerk, HOUSEHOLD_HEADER, *lines)
    assert result.errors == []
    split, merge = result.drafts
    assert split.draft.atena_numbers == (child,)
    assert split.draft.household_number != family.household_number
    assert merge.draft.household_number == family.household_number
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=split.draft.change_id)
    assert (current(child).is_head, current(child).relationship) == (True, "世帯主")


def test_a_household_change_with_a_bad_row_is_not_entered(clerk: User, family: DraftRecorded) -> None:
    head, wife, child = family.atena_numbers
    common = f"R8.11.15,2026-11-20,{family.household_number},"
    lines = [
        f"H1,世帯主変更,{common},{head},父",
        f"H1,世帯主変更,{common},{wife},母の従兄弟の配偶者の子",
        f"H1,世帯主変更,{common},{child},世帯主",
    ]
    result = import_rows(clerk, HOUSEHOLD_HEADER, *lines)
    assert result.drafts == []
    [error] = result.errors
    assert (error.row, error.column) == (3, "続柄")
    assert Change.objects.filter(state=ChangeState.DRAFT).count() == 0


def test_a_household_change_without_its_household_number_names_the_column(
    clerk: User, family: DraftRecorded
) -> None:
    line = f"H1,世帯分離,R8.11.15,2026-11-20,,,{family.atena_numbers[2]},世帯主"
    result = import_rows(clerk, HOUSEHOLD_HEADER, line)
    [error] = result.errors
    assert (error.row, error.column) == (2, "世帯番号")
    assert result.drafts == []


def test_a_head_change_row_per_member_becomes_one_draft(clerk: User, family: DraftRecorded) -> None:
    head, wife, child = family.atena_numbers
    common = f"R8.11.15,2026-11-20,{family.household_number},"
    relationships = ((head, "父"), (wife, "母"), (child, "世帯主"))
    result = import_rows(
        clerk, HOUSEHOLD_HEADER, *(f"H1,世帯主変更,{common},{a},{r}" for a, r in relationships)
    )
    assert result.errors == []
    [entered] = result.drafts
    drafts = ResidentSnapshot.objects.filter(change_id=entered.draft.change_id)
    assert {(s.resident.atena_number, s.relationship) for s in drafts} == set(relationships)
