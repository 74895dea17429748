"""Imports of 証明書交付申請 and 券面事項 files into items for review (standard 10.8-a;
registry/item_imports.py; layouts in docs/import-layout.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.crypto.individual_number import encrypt_individual_number
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.registry import item_imports
from jumin.registry.models import Resident
from jumin.registry.models_imported_items import ImportedItem
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db

APPLICATIONS = "申請番号,申請日,宛名番号,証明書種別,範囲,通数,請求者区分,請求者氏名,使用目的\r\n"
CARD_FACES = "宛名番号,カード種別,氏名,住所,生年月日,性別,個人番号\r\n"


def number(base: str) -> str:
    """A synthetic 個人番号 with a valid check digit."""
    return base + mynumber_check_digit(base)


def sex_code(sex: str) -> str:
    return "男" if sex == "male" else "女"


def imported(actor: User, kind: str, text: str, encoding: str = "utf-8") -> item_imports.ItemImportResult:
    return item_imports.import_items(actor=actor, purpose=PURPOSE, kind=kind, content=text.encode(encoding))


def test_each_application_row_becomes_an_item_for_review_and_another_clerk_confirms_it(
    family: DraftRecorded, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    # A clerk who may also confirm: still not the items they imported themselves.
    clerk = make_clerk(
        "both", Permission.RESIDENT_RECORD, Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW
    )
    head, wife, _child = family.atena_numbers
    text = (
        APPLICATIONS
        + f"A-1,令和8年4月1日,{head},住民票の写し,世帯全員,2,本人,,年金の手続\r\n"
        + f"A-2,2026-04-02,{wife},住民票記載事項証明書,,1,代理人,代理　一郎,勤務先へ提出\r\n"
    )
    result = imported(clerk, "certificate_application", text, "cp932")  # Shift_JIS as spreadsheets save
    assert (result.rows, result.errors, len(result.item_ids)) == (2, [], 2)
    first = ImportedItem.objects.get(pk=result.item_ids[0])
    assert (first.state, first.row_number, first.resident.atena_number) == ("pending", 2, head)
    assert first.data["application_date"] == "2026-04-01"
    assert (first.data["certificate"], first.data["copies"]) == ("住民票の写し", 2)

    pending = item_imports.pending_items(actor=reviewer, purpose=PURPOSE)
    assert [(item.atena_number, item.kind_label) for item in pending] == [
        (head, "証明書交付申請"),
        (wife, "証明書交付申請"),
    ]
    with pytest.raises(DomainError) as same_clerk:
        item_imports.decide_item(actor=clerk, purpose=PURPOSE, item_id=first.pk, accept=True)
    assert same_clerk.value.code == "import.item_same_clerk"
    item_imports.decide_item(actor=reviewer, purpose=PURPOSE, item_id=first.pk, accept=True)
    with pytest.raises(DomainError) as no_reason:
        item_imports.decide_item(actor=reviewer, purpose=PURPOSE, item_id=result.item_ids[1], accept=False)
    assert no_reason.value.code == "import.item_reason"
    item_imports.decide_item(
        actor=reviewer, purpose=PURPOSE, item_id=result.item_ids[1], accept=False, reason="委任状がない"
    )
    states = dict(ImportedItem.objects.values_list("pk", "state"))
    assert states == {result.item_ids[0]: "accepted", result.item_ids[1]: "refused"}
    with pytest.raises(DomainError) as twice:
        item_imports.decide_item(actor=reviewer, purpose=PURPOSE, item_id=first.pk, accept=False, reason="x")
    assert twice.value.code == "import.item_decided"
    assert item_imports.pending_items(actor=reviewer, purpose=PURPOSE) == []
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions.count(AuditAction.RESIDENT_IMPORT_ITEM_DECIDE) == 2
    assert AuditAction.RESIDENT_IMPORT_RUN in actions


def test_a_file_with_a_bad_row_is_refused_row_by_row_and_stores_nothing(
    family: DraftRecorded, clerk: User
) -> None:
    head = family.atena_numbers[0]
    text = (
        APPLICATIONS
        + f"A-1,令和8年4月1日,{head},住民票の写し,,1,本人,,年金\r\n"
        + "A-2,2026-04-02,9999999,住民票の写し,,1,本人,,年金\r\n"
        + f"A-3,いつか,{head},住民票の写し,,1,本人,,年金\r\n"
        + f"A-4,2026-04-02,{head},戸籍謄本,,0,本人,,\r\n"
    )
    result = imported(clerk, "certificate_application", text)
    assert result.item_ids == []
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (3, "宛名番号", "import.item_resident"),
        (4, "申請日", "import.item_date"),
        (5, "使用目的", "import.item_missing"),
    ]
    assert all(e.reason and e.remedy for e in result.errors)
    assert "9999999" not in " ".join(f"{e.reason}{e.remedy}" for e in result.errors)  # never the value
    assert not ImportedItem.objects.exists()
    wrong_header = "申請番号,宛名\r\n"
    with pytest.raises(DomainError) as header:
        imported(clerk, "certificate_application", wrong_header)
    assert header.value.code == "import.csv_header"
    assert "宛名" in header.value.reason


def test_a_card_face_row_lists_its_differences_and_keeps_only_the_number_comparison(
    family: DraftRecorded, clerk: User, make_clerk: Callable[..., User]
) -> None:
    head, wife, _child = family.atena_numbers
    current = Resident.objects.get(atena_number=head).current
    registered = number("12345678901")
    current.individual_number = encrypt_individual_number(registered, purpose="registry.resident")
    current.save(update_fields=["individual_number"])
    name = f"{current.surname}　{current.given_name}"
    birth = current.birth_sort_date.isoformat()
    wife_row = Resident.objects.get(atena_number=wife).current
    text = (
        CARD_FACES
        + f"{head},個人番号カード,{name},{current.address},{birth},{sex_code(current.sex)},{registered}\r\n"
        + f"{wife},住基カード,別の　名前,どこか別の住所,{wife_row.birth_sort_date.isoformat()},1,\r\n"
    )
    with pytest.raises(AccessRefused):  # a file carrying 個人番号 needs the right to use them
        imported(clerk, "card_face", text)
    assert not ImportedItem.objects.exists()
    numbers_clerk = make_clerk(
        "numbers", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS
    )
    result = imported(numbers_clerk, "card_face", text)
    assert result.errors == []
    same, other = (ImportedItem.objects.get(pk=pk).data for pk in result.item_ids)
    assert (same["differences"], same["individual_number"]) == ([], item_imports.NUMBER_MATCH)
    assert other["differences"] == ["氏名", "住所"] + (["性別"] if wife_row.sex != "male" else [])
    assert other["individual_number"] == ""
    stored = str(list(ImportedItem.objects.values_list("data", flat=True)))
    assert registered not in stored  # the number itself is never kept
    run = AuditEntry.objects.filter(action=AuditAction.RESIDENT_IMPORT_RUN, outcome="done").get()
    assert run.individual_number_used
    assert registered not in run.reason

    mismatch = (
        CARD_FACES + f"{head},個人番号カード,{name},{current.address},{birth},1,{number('98765432109')}\r\n"
    )
    [item_id] = imported(numbers_clerk, "card_face", mismatch).item_ids
    assert ImportedItem.objects.get(pk=item_id).data["individual_number"] == item_imports.NUMBER_MISMATCH
    bad_number = CARD_FACES + f"{head},個人番号カード,{name},{current.address},{birth},1,123456789012\r\n"
    refused = imported(numbers_clerk, "card_face", bad_number)
    assert [(e.row, e.column, e.code) for e in refused.errors] == [
        (2, "個人番号", "import.individual_number")
    ]
    assert "123456789012" not in refused.errors[0].reason


def test_the_screen_imports_a_file_and_the_review_list_confirms_an_item(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.registry.conftest import logged_in

    head = family.atena_numbers[0]
    text = APPLICATIONS + f"A-1,令和8年4月1日,{head},住民票の写し,,1,本人,,年金\r\n"
    page = logged_in(clerk).post(
        reverse("registry:item_import"),
        {
            "purpose": PURPOSE,
            "kind": "certificate_application",
            "file": SimpleUploadedFile("a.csv", text.encode("utf-8"), content_type="text/csv"),
        },
    )
    assert page.status_code == 200
    assert "1件を確認待ちにしました" in page.content.decode()
    [item] = ImportedItem.objects.all()
    review = logged_in(reviewer)
    listed = review.post(reverse("registry:item_review"), {"purpose": PURPOSE})
    assert head in listed.content.decode()
    decided = review.post(
        reverse("registry:item_review"), {"purpose": PURPOSE, "item_id": str(item.pk), "decision": "accept"}
    )
    assert decided.status_code == 200
    item.refresh_from_db()
    assert item.state == "accepted"


def test_the_api_imports_a_card_face_file(family: DraftRecorded, clerk: User) -> None:
    from tests.registry.conftest import logged_in

    head = family.atena_numbers[0]
    current = Resident.objects.get(atena_number=head).current
    text = (
        CARD_FACES
        + f"{head},住基カード,{current.surname}　{current.given_name},{current.address},"
        + f"{current.birth_sort_date},{sex_code(current.sex)},\r\n"
    )
    response = logged_in(clerk).post(
        "/api/registry/imports/items",
        {"purpose": PURPOSE, "kind": "card_face", "csv": text},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["rows"], len(body["item_ids"]), body["errors"]) == (1, 1, [])
