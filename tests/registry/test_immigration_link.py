"""市町村通知 / 市町村伝達 to 出入国在留管理庁 (standard 4.5.7-a/b; system.md F10 step 4).

All persons are synthetic (tests.registry.conftest, test_naturalisation.foreign_person).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.immigration_link import LinkClass, LinkKind, link_type
from jumin.domain.resident import ChangeReason
from jumin.registry.immigration_sending import (
    FILE_COLUMNS,
    export_due,
    import_results,
    municipality_notices,
    resend,
)
from jumin.registry.models import RegistryEvent
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.immigration_notices import NoticeConfirmation, record_immigration_notice
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.naturalisation import record_naturalisation
from tests.registry.conftest import PURPOSE
from tests.registry.test_immigration_notices import RENEWAL, notice, notice_file
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import move_out
from tests.registry.test_naturalisation import foreign_move_in, foreign_person, naturalisation

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def rows_of(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


def renew(clerk: User, commit: Callable[..., DraftRecorded], notice_id: str) -> None:
    """The agency's renewal notice for the default foreign resident, confirmed and committed."""
    content = notice_file(notice(notice_id, **RENEWAL))
    commit(
        record_immigration_notice(
            actor=clerk,
            purpose=PURPOSE,
            confirmation=NoticeConfirmation(content=content, notice_id=notice_id),
        )
    )


@pytest.fixture
def foreigner(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[0]


def test_4_5_7_a_foreign_move_in_is_transmitted_once_on_commit_never_as_a_draft(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())
    assert MunicipalityNotice.objects.count() == 0  # 仮登録 is invisible to the agency
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    (notice,) = MunicipalityNotice.objects.all()
    event = RegistryEvent.objects.get(change_id=draft.change_id)
    assert (notice.event_id, notice.atena_number, notice.history_no) == (event.pk, draft.atena_numbers[0], 1)
    # A 中長期在留者's 転入 is also the 住居地届出: a 市町村伝達 under both laws.
    assert (notice.kind, notice.link_class, notice.due_on) == ("市町村伝達", "住基法・入管法", today())
    items = notice.items
    assert (items["change_reason"], items["name"], items["category"], items["birth_date"]) == (
        ChangeReason.MOVE_IN_FROM_ABROAD,
        "NGUYEN VAN AN",
        "中長期在留者",
        "19900501",
    )
    assert (items["is_head"], items["head_name"]) == ("1", "NGUYEN VAN AN")
    assert not {"individual_number", "juminhyo_code"} & set(items)


def test_4_5_7_a_japanese_residents_give_no_notice(
    clerk: User, reviewer: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in()))
    assert MunicipalityNotice.objects.count() == 0


def test_4_5_7_a_an_amendment_is_a_notice_under_the_registry_act(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    renew(clerk, commit, "N0001")
    last = MunicipalityNotice.objects.order_by("pk").last()
    assert last is not None
    assert (last.kind, last.link_class, last.items["residence_card_number"]) == (
        "市町村通知",
        "住基法",
        "ZZ99999999YY",
    )


def test_4_5_7_a_classification_rules() -> None:
    before = {"category": "特別永住者", "special_permanent_resident_number": "A1"}
    after = {"category": "特別永住者", "special_permanent_resident_number": "B2"}
    assert (
        link_type(ChangeReason.EX_OFFICIO_AMENDMENT, "特別永住者", before, after).link_class
        == LinkClass.IMMIGRATION
    )
    assert link_type(ChangeReason.MOVE_WITHIN, "特別永住者", before, before).kind == LinkKind.TRANSMISSION
    # A 一時庇護許可者 owes no 住居地届出: the move is a notice of the record only.
    assert link_type(ChangeReason.MOVE_WITHIN, "一時庇護許可者", {}, {}).link_class == LinkClass.REGISTRY
    assert link_type(ChangeReason.DEATH, "特別永住者", before, after).link_class == LinkClass.REGISTRY


def test_4_5_7_a_b_export_keeps_order_and_holds_a_planned_move_out_until_its_date(
    clerk: User, sender: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    renew(clerk, commit, "N0002")
    planned = today() + timedelta(days=10)
    commit(
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([foreigner], planned_date=planned))
    )
    other = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=foreign_move_in(
                foreign_person(surname="TRAN", given_name="THI BINH", born=date(1995, 2, 3))
            ),
        )
    ).atena_numbers[0]
    move_in, renewal, planned_out, other_in = MunicipalityNotice.objects.order_by("pk")
    assert (planned_out.due_on, planned_out.link_class) == (planned, "住基法")
    assert [r.sequence_no for r in municipality_notices(actor=clerk, purpose=PURPOSE, state="waiting")] == [
        planned_out.pk
    ]
    # An earlier notice still waiting holds the person's later ones back (order kept per person).
    MunicipalityNotice.objects.filter(pk=move_in.pk).update(due_on=planned)

    batch = export_due(actor=sender, purpose=PURPOSE)
    assert batch.sequence_nos == (other_in.pk,)
    lines = rows_of(batch.content)
    assert tuple(lines[0]) == FILE_COLUMNS
    assert [line["sequence_no"] for line in lines] == [str(other_in.pk)]
    entry = AuditEntry.objects.get(action="resident:municipality_notice:send")
    assert list(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)) == [
        other
    ]
    with pytest.raises(DomainError) as nothing:
        export_due(actor=sender, purpose=PURPOSE)
    assert nothing.value.code == "registry.municipality_notice"

    # On the planned date the person's notices leave, in commit order.
    MunicipalityNotice.objects.filter(pk__in=(move_in.pk, planned_out.pk)).update(due_on=today())
    later = export_due(actor=sender, purpose=PURPOSE)
    assert (later.batch_no, later.sequence_nos) == (
        batch.batch_no + 1,
        (move_in.pk, renewal.pk, planned_out.pk),
    )
    assert [r.sequence_no for r in municipality_notices(actor=clerk, purpose=PURPOSE, state="sent")] == [
        other_in.pk,
        planned_out.pk,
        renewal.pk,
        move_in.pk,
    ]  # newest first


def test_4_5_7_a_a_waiting_notice_holds_back_the_later_ones_behind_it_not_the_earlier(
    clerk: User, sender: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    renew(clerk, commit, "N0002")
    content = notice_file(
        notice("N0003", residence_card_number="ZZ99999999YY", new_residence_status="定住者")
    )
    commit(
        record_immigration_notice(
            actor=clerk, purpose=PURPOSE, confirmation=NoticeConfirmation(content=content, notice_id="N0003")
        )
    )
    first, middle, last = MunicipalityNotice.objects.order_by("pk")
    MunicipalityNotice.objects.filter(pk=middle.pk).update(due_on=today() + timedelta(days=3))
    assert export_due(actor=sender, purpose=PURPOSE).sequence_nos == (first.pk,)
    assert not MunicipalityNotice.objects.filter(pk=last.pk, sent_at__isnull=False).exists()


def test_4_5_7_b_results_import_and_resend(clerk: User, sender: User, foreigner: str) -> None:
    (notice_row,) = MunicipalityNotice.objects.all()
    with pytest.raises(DomainError):
        resend(actor=sender, purpose=PURPOSE, sequence_nos=[notice_row.pk])  # never sent yet
    batch = export_due(actor=sender, purpose=PURPOSE)
    header = "sequence_no,result,code,message\r\n"
    results = f"{header}{notice_row.pk},エラー,E012,住居地の形式誤り\r\n999999,正常,,\r\n"
    report = import_results(actor=clerk, purpose=PURPOSE, content=results)
    assert (report.accepted, report.errors, len(report.refused_lines)) == (0, 1, 1)
    (error,) = municipality_notices(actor=clerk, purpose=PURPOSE, state="error")
    assert (error.sequence_no, error.result, error.result_code) == (notice_row.pk, "エラー", "E012")

    again = resend(actor=sender, purpose=PURPOSE, sequence_nos=[notice_row.pk])
    assert again.batch_no == batch.batch_no + 1
    assert municipality_notices(actor=clerk, purpose=PURPOSE, state="error") == []
    notice_row.refresh_from_db()
    assert (notice_row.send_count, notice_row.result) == (2, "")
    import_results(
        actor=clerk, purpose=PURPOSE, content=f"sequence_no,result,code,message\r\n{notice_row.pk},正常,,\r\n"
    )
    notice_row.refresh_from_db()
    assert notice_row.result == MunicipalityNotice.Result.ACCEPTED

    with pytest.raises(DomainError) as bad:
        import_results(actor=clerk, purpose=PURPOSE, content="number,status\r\n1,OK\r\n")
    assert bad.value.code == "registry.municipality_notice"


def test_4_5_7_a_naturalisation_notifies_the_end_of_the_foreign_record(
    clerk: User, commit: Callable[..., DraftRecorded], foreigner: str
) -> None:
    commit(record_naturalisation(actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner)))
    last = MunicipalityNotice.objects.order_by("pk").last()
    assert last is not None
    assert (last.items["change_reason"], last.link_class, last.items["category"]) == (
        ChangeReason.NATURALISATION,
        "住基法",
        "中長期在留者",  # the items of the foreign record it ends
    )
