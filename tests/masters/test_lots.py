"""The lot and 方書 masters (standard 1.3.2-a, 1.3.4-a): append-only rows, audit, lookup, CSV import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.domain.address_lots import LotNumber, LotSystem
from jumin.domain.errors import DomainError
from jumin.masters import lots
from jumin.masters.models import AddressLot, Katagaki
from tests.helpers.accounts import grant_permissions, make_user
from tests.helpers.masters import AREA_CODE, make_area

pytestmark = pytest.mark.django_db

PURPOSE = "マスタ管理"
HEADER = ",".join(lots.CSV_COLUMNS)


@pytest.fixture
def editor() -> Any:
    user = make_user(username="masters-editor")
    grant_permissions(user, [Permission.MASTERS_EDIT])
    make_area()
    return user


def _lot(editor: Any, number: LotNumber, day: date = date(2020, 4, 1)) -> AddressLot:
    entry = lots.LotEntry(AREA_CODE, LotSystem.RESIDENCE_INDICATION, number, day)
    return lots.register_lot(actor=editor, purpose=PURPOSE, entry=entry)


def _katagaki(editor: Any, lot: AddressLot, name: str, day: date = date(2020, 4, 1)) -> Katagaki:
    entry = lots.KatagakiEntry(lot.pk, name, "", day)
    return lots.register_katagaki(actor=editor, purpose=PURPOSE, entry=entry)


def test_registering_is_audited_and_a_new_row_ends_the_old_one(editor: Any) -> None:
    first = _lot(editor, LotNumber("", 1, 1))
    second = _lot(editor, LotNumber("", 1, 1), date(2026, 12, 1))
    first.refresh_from_db()
    assert first.valid_to == date(2026, 11, 30)  # ended the day before, not overwritten
    assert second.valid_to is None
    assert second.text == "1番1号"
    entries = AuditEntry.objects.filter(action=AuditAction.MASTERS_RECORD_CREATE, subject_type="address_lot")
    assert sorted(e.subject_id for e in entries) == sorted([str(first.pk), str(second.pk)])
    assert all(e.actor_id == editor.pk for e in entries)


def test_an_overlapping_row_is_refused_and_nothing_changes(editor: Any) -> None:
    _lot(editor, LotNumber("", 1, 1), date(2026, 12, 1))
    with pytest.raises(DomainError) as refused:
        _lot(editor, LotNumber("", 1, 1), date(2026, 1, 1))
    assert refused.value.field == "valid_from"
    assert AddressLot.objects.count() == 1
    assert AddressLot.objects.get().valid_to is None


def test_an_unknown_address_code_is_refused(editor: Any) -> None:
    entry = lots.LotEntry("00000000000", LotSystem.LAND_LOT, LotNumber("", 3), date(2020, 1, 1))
    with pytest.raises(DomainError) as refused:
        lots.register_lot(actor=editor, purpose=PURPOSE, entry=entry)
    assert refused.value.field == "address_code"
    assert not AddressLot.objects.exists()


def test_without_the_permission_nothing_is_written(make_staff: Callable[..., Any]) -> None:
    make_area()
    outsider = make_user(username="no-masters")
    entry = lots.LotEntry(AREA_CODE, LotSystem.LAND_LOT, LotNumber("", 3), date(2020, 1, 1))
    with pytest.raises(AccessRefused):
        lots.register_lot(actor=outsider, purpose=PURPOSE, entry=entry)
    assert not AddressLot.objects.exists()


def test_katagaki_of_a_typed_address_are_those_of_its_lot_in_force(editor: Any) -> None:
    lot = _lot(editor, LotNumber("", 1, 1))
    other = _lot(editor, LotNumber("", 1, 2))
    _katagaki(editor, lot, "相生ハイツ")
    gone = _katagaki(editor, lot, "旧相生荘")
    lots.end_katagaki(actor=editor, purpose=PURPOSE, katagaki_id=gone.pk, valid_to=date(2024, 3, 31))
    _katagaki(editor, other, "隣のマンション")
    names = [k.name for k in lots.katagaki_for_address("長崎県佐世保市相生町１番１号", date(2026, 11, 24))]
    assert names == ["相生ハイツ"]
    assert [k.name for k in lots.katagaki_for_address("佐世保市相生町1番1号 201号", date(2026, 11, 24))] == [
        "相生ハイツ"
    ]
    # Ended on 2024-03-31: still offered for a day before that.
    assert "旧相生荘" in [k.name for k in lots.katagaki_for_address("相生町1番1号", date(2024, 3, 31))]
    # The lot number alone offers every sub-number's 方書.
    assert len(lots.katagaki_for_address("長崎県佐世保市相生町1番", date(2026, 11, 24))) == 2
    assert lots.katagaki_for_address("長崎県佐世保市別の町1番1号", date(2026, 11, 24)) == []
    ended = AuditEntry.objects.get(action=AuditAction.MASTERS_RECORD_END, subject_type="katagaki")
    assert ended.subject_id == str(gone.pk)


def test_an_ended_row_cannot_be_ended_again(editor: Any) -> None:
    lot = _lot(editor, LotNumber("", 4))
    lots.end_lot(actor=editor, purpose=PURPOSE, lot_id=lot.pk, valid_to=date(2025, 1, 1))
    with pytest.raises(DomainError):
        lots.end_lot(actor=editor, purpose=PURPOSE, lot_id=lot.pk, valid_to=date(2026, 1, 1))
    lot.refresh_from_db()
    assert lot.valid_to == date(2025, 1, 1)


def test_csv_import_adds_lots_and_katagaki_once_per_lot(editor: Any) -> None:
    text = "\n".join(
        [
            HEADER,
            f"{AREA_CODE},住居表示,,1,1,,相生ハイツ,アイオイハイツ,2020-04-01",
            f"{AREA_CODE},住居表示,,1,1,,相生寮,,2020-04-01",
            f"{AREA_CODE},地番,甲,12,3,,,,2020-04-01",
        ]
    )
    summary = lots.import_csv(actor=editor, purpose=PURPOSE, text=text)
    assert (summary.lots, summary.katagaki, summary.lots_reused) == (2, 2, 1)
    assert sorted(lot.text for lot in AddressLot.objects.all()) == ["1番1号", "甲12番地3"]
    assert AuditEntry.objects.filter(action=AuditAction.MASTERS_LOAD_RUN, actor_id=editor.pk).count() == 1


def test_a_bad_csv_row_names_its_line_and_writes_nothing(editor: Any) -> None:
    text = "\n".join(
        [
            HEADER,
            f"{AREA_CODE},住居表示,,1,1,,相生ハイツ,,2020-04-01",
            f"{AREA_CODE},住居表示,,x,1,,,,2020-04-01",
        ]
    )
    with pytest.raises(DomainError) as refused:
        lots.import_csv(actor=editor, purpose=PURPOSE, text=text)
    assert refused.value.reason.startswith("3行目")
    assert not AddressLot.objects.exists()
    assert not Katagaki.objects.exists()


def test_the_import_command(editor: Any, tmp_path: Path) -> None:
    path = tmp_path / "lots.csv"
    path.write_text(f"{HEADER}\n{AREA_CODE},区画整理,,5,7,,相生住宅,,2020-04-01\n", encoding="utf-8")
    out = StringIO()
    call_command("import_address_lots", str(path), operator=editor.username, stdout=out)
    assert "番地 1件、方書 1件" in out.getvalue()
    assert AddressLot.objects.get().text == "5街区7画地"
    path.write_text(f"{HEADER}\n{AREA_CODE},町名,,5,7,,,,2020-04-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match="区分"):
        call_command("import_address_lots", str(path), operator=editor.username, stdout=out)
