"""抑止・支援措置 propagation (standard 3.1-g, 3.2-a): the outbox feed and the CS's 抑止マーク.

Every set and lift appends ``resident.restriction_set`` / ``resident.restriction_lifted`` events and,
for what blocks issuance, a CS mark, in the transaction of the set or lift; a 一時解除 sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs.models import CsRestrictionMark
from jumin.jukinet.cs.restriction_marks import marked_codes
from jumin.registry import cs_link
from jumin.registry.models import RegistryEvent, ResidentSnapshot, Suppression
from jumin.registry.numbering import load_code_pool
from jumin.registry.restriction_feed import (
    EVENT_RESTRICTION_LIFTED,
    EVENT_RESTRICTION_SET,
    MarkDifference,
    Resynced,
    check_cs_marks,
    resync_cs_marks,
    resync_cs_marks_daily,
)
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportEndReason,
    SuppressionScope,
    create_support_measure,
    end_support,
    extend_support,
    lift_suppression,
    release_temporarily,
    start_support,
)
from jumin.registry.workflows.number_changes import (
    ChangeBasis,
    NumberChangeRequest,
    record_resident_code_change,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in, person
from tests.registry.test_move_out import family
from tests.registry.test_restrictions import application, officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["family", "officer"]  # fixtures, imported for use here

CERT = RestrictedProcess.CERTIFICATE
REASON_TEXT = "調査中（合成データ）"
PERPETRATOR = "加害者の情報（合成データ）"


@pytest.fixture
def code_pool(db: None) -> list[str]:
    """Codes that pass the federation's check-digit rule, so the CS accepts every person."""
    codes = [resident_code(n) for n in range(500, 540)]
    load_code_pool(codes)
    return codes


def restriction_events() -> list[tuple[str, str, str, int | None]]:
    """(event type, 宛名番号, kind, restriction id) of every 抑止・支援措置 event, oldest first."""
    rows = RegistryEvent.objects.exclude(restriction_kind="").order_by("pk")
    return [(e.event_type, e.atena_number, e.restriction_kind, e.restriction_id) for e in rows]


def marks() -> list[tuple[str, str, str, int]]:
    """(住民票コード, set/lift, kind, restriction id) of every CS mark row, oldest first."""
    rows = CsRestrictionMark.objects.order_by("pk")
    return [(m.resident_code, m.action, m.kind, m.restriction_id) for m in rows]


def code_of(atena: str) -> str:
    return current(atena).juminhyo_code


def test_setting_an_issuance_suppression_appends_an_event_and_marks_the_person_at_the_cs(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=CERT, reason_text=REASON_TEXT)

    assert restriction_events() == [(EVENT_RESTRICTION_SET, head, "suppression:certificate", suppression_id)]
    event = RegistryEvent.objects.get(event_type=EVENT_RESTRICTION_SET)
    assert event.subject_seq == 2  # after the 転入's event: one sequence per person for every consumer
    assert (event.change_id, event.history_no, event.change_reason) == (None, None, "")
    assert marks() == [(code_of(head), "set", "suppression", suppression_id)]
    mark = CsRestrictionMark.objects.get()
    assert mark.effective_from == clock.today()
    assert (mark.operator_id, mark.terminal_id) == ("officer", "cs-host")
    assert marked_codes(code_of(n) for n in family.atena_numbers) == {code_of(head)}
    # Identifiers only: the reason the clerk typed reaches neither the feed nor the CS.
    stored = [str(getattr(event, f.attname)) for f in RegistryEvent._meta.concrete_fields]
    stored += [str(getattr(mark, f.attname)) for f in CsRestrictionMark._meta.concrete_fields]
    assert not any(REASON_TEXT in value for value in stored)
    entry = AuditEntry.objects.get(action="resident:suppression:set")
    assert entry.reason.endswith("feed events=1 cs_marks=1 no_code=0")


def test_a_set_that_fails_while_telling_the_cs_leaves_no_suppression_no_event_and_no_mark(
    family: DraftRecorded, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(**_: object) -> int:
        raise RuntimeError("the CS write failed")

    monkeypatch.setattr(cs_link, "forward_restriction_set", unreachable)
    with pytest.raises(RuntimeError):
        suppress(officer, family.atena_numbers[0], process=CERT)
    assert not Suppression.objects.exists()
    assert restriction_events() == []
    assert marks() == []
    assert not AuditEntry.objects.filter(action="resident:suppression:set", outcome="done").exists()


def test_lifting_appends_a_lift_event_and_a_lift_row_at_the_cs_keeping_the_set(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=CERT)
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")

    assert restriction_events() == [
        (EVENT_RESTRICTION_SET, head, "suppression:certificate", suppression_id),
        (EVENT_RESTRICTION_LIFTED, head, "suppression:certificate", suppression_id),
    ]
    assert marks() == [
        (code_of(head), "set", "suppression", suppression_id),
        (code_of(head), "lift", "suppression", suppression_id),
    ]
    assert marked_codes([code_of(head)]) == set()
    entry = AuditEntry.objects.get(action="resident:suppression:lift")
    assert entry.reason == "調査終了 (feed events=1 cs_marks=1 no_code=0)"


def test_one_lift_leaves_the_mark_of_another_restriction_in_force(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    first = suppress(officer, head, process=CERT)
    suppress(officer, head, process=CERT, level=RestrictionLevel.ALERT)
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=first, reason="調査終了")
    assert marked_codes([code_of(head)]) == {code_of(head)}


def test_a_household_suppression_reaches_each_member_and_its_lift_the_same_members(
    family: DraftRecorded, officer: User
) -> None:
    suppression_id = suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD)
    members = sorted(family.atena_numbers)
    assert sorted(n for _, n, _, _ in restriction_events()) == members
    assert marked_codes(code_of(n) for n in members) == {code_of(n) for n in members}
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    lifted = [n for kind, n, _, _ in restriction_events() if kind == EVENT_RESTRICTION_LIFTED]
    assert sorted(lifted) == members
    assert marked_codes(code_of(n) for n in members) == set()


def test_a_suppression_of_another_process_goes_to_the_feed_but_not_to_the_cs(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=RestrictedProcess.INQUIRY)
    assert restriction_events() == [(EVENT_RESTRICTION_SET, head, "suppression:inquiry", suppression_id)]
    assert marks() == []
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    assert len(restriction_events()) == 2
    assert marks() == []


def test_a_temporary_release_is_sent_neither_to_the_feed_nor_to_the_cs(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=CERT)
    events_before, marks_before = restriction_events(), marks()
    release_temporarily(
        actor=officer,
        purpose=PURPOSE,
        atena_number=head,
        process=CERT,
        target=ReleaseTarget.SUPPRESSION,
        reason="本人確認済み",
    )
    assert restriction_events() == events_before
    assert marks() == marks_before
    assert marked_codes([code_of(head)]) == {code_of(head)}  # 3.1-d: local only


def test_a_suppression_set_ahead_is_marked_at_the_cs_only_from_its_start_date(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    start = clock.today() + timedelta(days=3)
    suppress(officer, head, process=CERT, start_date=start)
    assert marked_codes([code_of(head)]) == set()
    assert marked_codes([code_of(head)], on=start) == {code_of(head)}


def test_a_support_measure_marks_each_protected_person_until_it_ends_and_period_changes_send_nothing(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, child = family.atena_numbers
    measure_id = create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=application(wife, co_applicants=[child], provisional=True, perpetrator=PERPETRATOR),
    )
    protected = {code_of(wife), code_of(child)}
    assert sorted(restriction_events()) == sorted(
        (EVENT_RESTRICTION_SET, n, "support_measure", measure_id) for n in (wife, child)
    )
    assert marked_codes(code_of(n) for n in family.atena_numbers) == protected
    entry = AuditEntry.objects.get(action="resident:support_measure:create")
    assert entry.reason == "feed events=2 cs_marks=2 no_code=0"

    # Deciding, extending or editing the period changes no block: nothing more is sent.
    start_support(
        actor=officer, purpose=PURPOSE, measure_id=measure_id, start=clock.today() - timedelta(days=360)
    )
    extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    assert len(restriction_events()) == 2
    assert len(marks()) == 2

    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)
    lifted = [n for kind, n, _, _ in restriction_events() if kind == EVENT_RESTRICTION_LIFTED]
    assert sorted(lifted) == sorted([wife, child])
    assert marked_codes(protected) == set()
    end = AuditEntry.objects.get(action="resident:support_measure:end")
    assert end.reason == "request (feed events=2 cs_marks=2 no_code=0)"
    assert head not in {n for _, n, _, _ in restriction_events()}
    stored = [str(getattr(m, f.attname)) for m in CsRestrictionMark.objects.all() for f in m._meta.fields]
    assert not any(PERPETRATOR in value for value in stored)


def test_a_person_without_a_resident_code_still_gets_the_event_but_no_cs_mark(
    family: DraftRecorded, officer: User
) -> None:
    """The CS holds no record of a person without a 住民票コード, so there is nothing to mark there."""
    head, wife, _child = family.atena_numbers
    ResidentSnapshot.objects.filter(pk=current(head).pk).update(juminhyo_code="")
    suppression_id = suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD)

    assert sorted(n for _, n, _, _ in restriction_events()) == sorted(family.atena_numbers)
    assert {code for code, _, _, _ in marks()} == {code_of(wife), code_of(family.atena_numbers[2])}
    entry = AuditEntry.objects.get(action="resident:suppression:set")
    assert entry.reason.endswith("feed events=3 cs_marks=2 no_code=1")
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    assert AuditEntry.objects.get(action="resident:suppression:lift").reason.endswith(
        "feed events=3 cs_marks=2 no_code=0)"
    )


def test_the_staff_event_list_shows_restriction_events_without_a_change(
    family: DraftRecorded, officer: User, make_staff: Callable[..., object]
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=CERT)
    client = make_staff([Permission.NETWORK_MONITOR])
    answer = client.post(  # type: ignore[attr-defined]
        "/api/registry/review/events", {"purpose": PURPOSE}, content_type="application/json"
    )
    assert answer.status_code == 200
    newest = answer.json()[0]
    assert newest["event_type"] == EVENT_RESTRICTION_SET
    assert (newest["atena_number"], newest["restriction_kind"], newest["restriction_id"]) == (
        head,
        "suppression:certificate",
        suppression_id,
    )
    assert (newest["change_id"], newest["history_no"]) == (None, None)
    page = client.post(reverse("registry:review_events"), {"purpose": PURPOSE}).content.decode()  # type: ignore[attr-defined]
    assert "resident.restriction_set" in page
    assert "suppression:certificate" in page


def test_a_resident_code_change_carries_the_cs_marks_to_the_new_code(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=CERT)
    old = code_of(head)
    draft = record_resident_code_change(
        actor=clerk,
        purpose=PURPOSE,
        request=NumberChangeRequest(
            atena_number=head,
            basis=ChangeBasis.REQUEST,
            requested_on=clock.today() - timedelta(days=1),
            grounds="",
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    new = code_of(head)
    assert new != old
    assert marked_codes([new]) == {new}
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    assert marked_codes([old, new]) == set()  # one lift reaches the restriction under both codes


def test_the_resync_marks_what_the_cs_missed_and_a_second_run_writes_nothing(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    head, wife, _child = family.atena_numbers
    snapshot = current(head)
    ResidentSnapshot.objects.filter(pk=snapshot.pk).update(juminhyo_code="")
    suppression_id = suppress(officer, head, process=CERT)
    measure_id = create_support_measure(actor=officer, purpose=PURPOSE, application=application(wife))
    assert marks() == [(code_of(wife), "set", "support_measure", measure_id)]
    # The person is given a code after the set; the CS is told only by the resync.
    ResidentSnapshot.objects.filter(pk=snapshot.pk).update(juminhyo_code=snapshot.juminhyo_code)
    operator = make_clerk("batch_operator", Permission.RESIDENT_BATCH_RUN)
    out = StringIO()
    call_command("cs_restriction_marks", "--operator", "batch_operator", stdout=out)
    assert "設定 1件、解除 0件" in out.getvalue()
    assert marks()[-1] == (snapshot.juminhyo_code, "set", "suppression", suppression_id)
    assert marked_codes([snapshot.juminhyo_code, code_of(wife)]) == {snapshot.juminhyo_code, code_of(wife)}

    assert resync_cs_marks(actor=operator, purpose=PURPOSE) == Resynced(set=0, lifted=0, without_code=0)
    assert len(marks()) == 2
    entries = AuditEntry.objects.filter(action="cs:restriction_mark:resync").order_by("seq")
    assert [e.reason for e in entries] == ["set 1 lifted 0 no_code 0", "set 0 lifted 0 no_code 0"]


def test_the_node_resyncs_by_itself_daily_as_the_system(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    snapshot = current(head)
    ResidentSnapshot.objects.filter(pk=snapshot.pk).update(juminhyo_code="")
    suppression_id = suppress(officer, head, process=CERT)
    assert marks() == []
    ResidentSnapshot.objects.filter(pk=snapshot.pk).update(juminhyo_code=snapshot.juminhyo_code)
    assert resync_cs_marks_daily() == Resynced(set=1, lifted=0, without_code=0)
    assert marks() == [(snapshot.juminhyo_code, "set", "suppression", suppression_id)]
    entry = AuditEntry.objects.get(action="cs:restriction_mark:resync")
    assert (entry.actor_id, entry.purpose, entry.reason) == (
        None,
        "registry_batch",
        "set 1 lifted 0 no_code 0",
    )


def test_the_resync_lifts_a_mark_whose_restriction_is_no_longer_in_force(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head, process=CERT)
    # As if the lift had reached the registry only (e.g. lifted before the marks existed).
    Suppression.objects.filter(pk=suppression_id).update(lifted_at=clock.now(), lift_reason="調査終了")
    operator = make_clerk("batch_operator", Permission.RESIDENT_BATCH_RUN)
    assert resync_cs_marks(actor=operator, purpose=PURPOSE) == Resynced(set=0, lifted=1, without_code=0)
    assert marked_codes([code_of(head)]) == set()


def test_the_resync_needs_the_batch_permission(family: DraftRecorded, officer: User) -> None:
    with pytest.raises(AccessRefused):
        resync_cs_marks(actor=officer, purpose=PURPOSE)
    entry = AuditEntry.objects.get(action="cs:restriction_mark:resync")
    assert entry.outcome == "refused"


def test_lifting_a_restriction_set_before_the_feed_existed_sends_the_lift_to_the_persons_it_holds(
    family: DraftRecorded, officer: User
) -> None:
    suppression_id = suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD)
    RegistryEvent.objects.filter(restriction_id=suppression_id).delete()  # as before the upgrade
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    lifted = [n for kind, n, _, _ in restriction_events() if kind == EVENT_RESTRICTION_LIFTED]
    assert sorted(lifted) == sorted(family.atena_numbers)


def test_a_person_who_joins_a_suppressed_household_is_sent_the_suppression_and_its_lift(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    """3.1-g: the household 抑止 holds whoever joins later, so the feed and the CS get them at the commit
    that puts them in (not only at the next `jumin cs marks`), and its lift reaches them too."""
    suppression_id = suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD)
    other_household = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(members=[person("別所", "一郎", "ベッショ", "イチロウ")]),
        )
    )
    suppress(officer, other_household.household_number, scope=SuppressionScope.HOUSEHOLD)
    joined = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[person(given_name="四郎", given_name_kana="シロウ", relationship="子")],
                household_number=family.household_number,
            ),
        )
    )
    newcomer = joined.atena_numbers[0]
    sent = [(kind, rid) for kind, n, _, rid in restriction_events() if n == newcomer]
    assert sent == [(EVENT_RESTRICTION_SET, suppression_id)]  # not the other household's
    assert marked_codes([code_of(newcomer)]) == {code_of(newcomer)}
    commit_entry = AuditEntry.objects.filter(
        action="resident:change:commit", subject_id=str(joined.change_id)
    ).get()
    assert "feed events=1 cs_marks=1 no_code=0" in commit_entry.reason

    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    lifted = [n for kind, n, _, rid in restriction_events() if kind == EVENT_RESTRICTION_LIFTED]
    assert sorted(lifted) == sorted([*family.atena_numbers, newcomer])
    assert marked_codes(code_of(n) for n in [*family.atena_numbers, newcomer]) == set()


def test_a_move_in_to_an_unsuppressed_household_sends_nothing(
    family: DraftRecorded, officer: User, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    suppress(officer, family.atena_numbers[0], process=CERT)  # a person's 抑止 does not hold joiners
    joined = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[person(given_name="四郎", given_name_kana="シロウ", relationship="子")],
                household_number=family.household_number,
            ),
        )
    )
    assert [n for _, n, _, _ in restriction_events()] == [family.atena_numbers[0]]
    assert marked_codes([code_of(joined.atena_numbers[0])]) == set()


def test_the_check_screen_lists_what_the_cs_lacks_and_keeps_and_the_resync_clears_it(
    family: DraftRecorded, officer: User, make_staff: Callable[..., Any]
) -> None:
    head, wife, _child = family.atena_numbers
    kept = suppress(officer, head, process=CERT)
    # As if lifted before the marks existed: the CS still holds the mark.
    Suppression.objects.filter(pk=kept).update(lifted_at=clock.now(), lift_reason="調査終了")
    # As if set before the marks existed: the CS holds no mark for it.
    missed = suppress(officer, wife, process=CERT, reason_text=REASON_TEXT)
    CsRestrictionMark.objects.filter(restriction_id=missed).delete()

    checked = check_cs_marks(actor=officer, purpose=PURPOSE)
    assert (checked.cs_marks, checked.registry_marks, checked.without_code) == (1, 1, 0)
    assert checked.differences == (
        MarkDifference(code_of(wife), "抑止", missed, in_registry=True),
        MarkDifference(code_of(head), "抑止", kept, in_registry=False),
    )
    assert len(marks()) == 1  # the check writes nothing at the CS
    entry = AuditEntry.objects.filter(action="cs:restriction_mark:check").get()
    assert (entry.reason, entry.result_count) == ("missing 1 extra 1 no_code 0", 2)

    screen = reverse("registry:restriction_cs_marks")
    assert_permission_triple(
        make_staff, "post", screen, Permission.SUPPRESSION_MANAGE, data={"purpose": PURPOSE, "check": "1"}
    )
    client = make_staff(permissions=[Permission.SUPPRESSION_MANAGE, Permission.RESIDENT_BATCH_RUN])
    shown = client.post(screen, {"purpose": PURPOSE, "check": "1"}).content.decode()
    assert "CSに未反映" in shown
    assert "CSにだけ残る" in shown
    assert code_of(wife) in shown
    assert REASON_TEXT not in shown
    resynced = client.post(screen, {"purpose": PURPOSE, "resync": "1"}).content.decode()
    assert "設定 1件、解除 1件" in resynced
    assert "違いはありません" in resynced
    assert marked_codes([code_of(head), code_of(wife)]) == {code_of(wife)}


def test_the_resync_button_needs_the_batch_permission(
    family: DraftRecorded, make_staff: Callable[..., Any]
) -> None:
    client = make_staff(permissions=[Permission.SUPPRESSION_MANAGE])
    response = client.post(reverse("registry:restriction_cs_marks"), {"purpose": PURPOSE, "resync": "1"})
    assert response.status_code == 403
    assert AuditEntry.objects.get(action="cs:restriction_mark:resync").outcome == "refused"
