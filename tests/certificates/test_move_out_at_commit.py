"""The 転出証明書 printed in the flow, from the 転出's 本登録 (standard 4.1.3.0.3-a): the commit's result
offers it at once; a late (職権) notification gets the substitute or a 除票の写し; none for a 国外転出 or a
draft; the 交付履歴 names the clerk and the committed change; a bulk 本登録 lists one per 転出."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.history import issuance_history
from jumin.certificates.models import Issuance
from jumin.certificates.services import issue_at_move_out_commit
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.certificate_sources import move_out_certificate_of_change
from jumin.registry.models import Change
from jumin.registry.services import Address, DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_special_move_out import card_clerk, special_movers  # noqa: F401 (fixtures)
from tests.registry.conftest import PURPOSE, family_move_in, logged_in
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db

SECTION = "転出証明書の交付"
FORM_ACTION = '<form method="post" action="/certificates/move-out-at-commit/"'


@pytest.fixture
def committer(make_clerk: Callable[..., User]) -> User:
    """A reviewer at the counter who may also issue certificates."""
    return make_clerk(
        "committer",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.CERTIFICATE_ISSUE,
        Permission.CERTIFICATE_HISTORY_VIEW,
    )


def _move_out_draft(clerk: User, family: DraftRecorded, *, days_late: int = 0, **overrides: Any) -> int:
    today = timezone.localdate()
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(family.atena_numbers, planned_date=today - timedelta(days=days_late), **overrides),
    )
    return draft.change_id


def _commit_on_screen(user: User, change_id: int) -> str:
    page = logged_in(user).post(
        reverse("registry:draft", args=[change_id]),
        {"purpose": PURPOSE, "commit": "1", "acknowledged_alerts": ["moveout.late_notification"]},
    )
    content = page.content.decode()
    assert "本登録しました。" in content
    return content


def _offered(content: str) -> list[tuple[str, list[str]]]:
    """(異動番号, kinds offered) of each certificate form on the page."""
    found = []
    for form in re.findall(re.escape(FORM_ACTION) + r"(.*?)</form>", content, re.S):
        change = re.search(r'name="change_id" value="(\d+)"', form)
        kinds = re.search(r'<select name="kind"[^>]*>(.*?)</select>', form, re.S)
        assert change is not None
        assert kinds is not None
        found.append((change.group(1), re.findall(r'<option value="([a-z_]+)"', kinds.group(1))))
    return found


def _issue_on_screen(user: User, change_id: int, kind: str, **request: str) -> Any:
    body = {
        "purpose": PURPOSE,
        "change_id": str(change_id),
        "kind": kind,
        "requester_class": "self",
        "identity_check": "mynumber_card",
        **request,
    }
    return logged_in(user).post(reverse("certificates:move_out_at_commit"), body)


def test_the_commit_of_a_move_out_offers_its_certificate_and_prints_it_recorded_with_the_change(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family)
    content = _commit_on_screen(committer, change_id)
    assert SECTION in content
    assert _offered(content) == [(str(change_id), ["move_out"])]
    response = _issue_on_screen(committer, change_id, "move_out")
    assert response["Content-Type"] == "application/pdf"
    assert family.atena_numbers[0] not in response["Content-Disposition"]
    text = flat("".join(pdf_pages(response.content)))
    assert "転出証明書" in text
    assert "上記の者は、転出の届出をしたことを証明する。" in text
    issuance = Issuance.objects.get()
    assert (issuance.kind, issuance.at_commit_change) == ("move_out", change_id)
    assert (issuance.user, issuance.user_name) == (committer, "committer")
    assert issuance.subjects == list(family.atena_numbers)
    entry = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert entry.subject_id == str(issuance.pk)
    assert f"change={change_id}" in entry.reason
    rows = issuance_history(actor=committer, purpose=PURPOSE, atena_number=family.atena_numbers[0])
    assert rows[0].channel == f"窓口（転出の本登録時、異動番号 {change_id}）"


def test_a_late_notification_offers_the_substitute_or_a_removed_copy_never_the_certificate(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family, days_late=20)
    content = _commit_on_screen(committer, change_id)
    assert _offered(content) == [(str(change_id), ["move_out_substitute", "removed_copy"])]
    refused = _issue_on_screen(committer, change_id, "move_out")
    assert "この転出には転出証明書を交付できません。" in refused.content.decode()
    assert not Issuance.objects.exists()
    assert AuditEntry.objects.filter(
        outcome="refused", outcome_reason="certificates.move_out_kind_at_commit"
    ).exists()
    substitute = _issue_on_screen(committer, change_id, "move_out_substitute")
    assert "転出証明書に準ずる証明書" in flat("".join(pdf_pages(substitute.content)))
    removed = _issue_on_screen(committer, change_id, "removed_copy")
    assert "除票" in flat("".join(pdf_pages(removed.content)))
    kinds = list(Issuance.objects.order_by("pk").values_list("kind", "at_commit_change"))
    assert kinds == [("move_out_substitute", change_id), ("removed_copy", change_id)]


def test_no_certificate_is_offered_or_issued_for_a_move_out_abroad(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(
        clerk, family, reason=ChangeReason.MOVE_OUT_ABROAD, destination="アメリカ合衆国"
    )
    content = _commit_on_screen(committer, change_id)
    assert SECTION not in content
    with pytest.raises(DomainError) as caught:
        issue_at_move_out_commit(
            actor=committer,
            purpose=PURPOSE,
            request=own_request(),
            change_id=change_id,
            kind=CertificateKind.MOVE_OUT,
        )
    assert caught.value.code == "certificates.no_move_out_at_commit"
    assert not Issuance.objects.exists()


def test_no_certificate_is_issued_for_a_draft(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family)
    response = _issue_on_screen(committer, change_id, "move_out")
    assert response["Content-Type"].startswith("text/html")
    assert "仮登録" in response.content.decode()
    assert not Issuance.objects.exists()
    commit_change(actor=committer, purpose=PURPOSE, change_id=change_id)
    assert _issue_on_screen(committer, change_id, "move_out")["Content-Type"] == "application/pdf"


def test_an_agent_without_a_name_gets_the_form_back_with_the_reason_and_nothing_is_issued(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family)
    commit_change(actor=committer, purpose=PURPOSE, change_id=change_id)
    response = _issue_on_screen(committer, change_id, "move_out", requester_class="agent")
    content = response.content.decode()
    assert "請求者の氏名" in content
    assert 'name="change_id"' in content
    assert not Issuance.objects.exists()


def test_a_committer_without_the_issue_permission_sees_the_certificate_due_without_the_form(
    clerk: User, make_clerk: Callable[..., User], family: DraftRecorded
) -> None:
    change_id = _move_out_draft(clerk, family)
    reviewer = make_clerk("reviewer-only", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW)
    content = _commit_on_screen(reviewer, change_id)
    assert SECTION in content
    assert _offered(content) == []
    assert "証明書の交付権限がありません。" in content


def test_a_bulk_commit_lists_one_certificate_per_move_out(
    clerk: User, committer: User, family: DraftRecorded, reviewer: User, certifier: Any
) -> None:
    other = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(address=Address(address="長崎県佐世保市八幡町2番2号")),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=other.change_id)
    on_time = _move_out_draft(clerk, family)
    late = _move_out_draft(clerk, other, days_late=30)
    page = logged_in(committer).post(
        reverse("registry:review_commit"),
        {
            "purpose": PURPOSE,
            "change_ids": [on_time, late],
            "acknowledged_alerts": ["moveout.late_notification"],
        },
    )
    content = page.content.decode()
    assert "本登録 2 件" in content
    assert _offered(content) == [
        (str(on_time), ["move_out"]),
        (str(late), ["move_out_substitute", "removed_copy"]),
    ]


def test_a_move_out_cancelled_after_its_commit_gets_no_certificate(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family)
    commit_change(actor=committer, purpose=PURPOSE, change_id=change_id)
    cancel = record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=change_id, reason="届出人の錯誤")
    )
    commit_change(actor=committer, purpose=PURPOSE, change_id=cancel.change_id)
    response = _issue_on_screen(committer, change_id, "move_out")
    assert "本登録の後に取り消し又は変更されています" in response.content.decode()
    assert not Issuance.objects.exists()


def test_the_api_issues_the_substitute_of_a_late_move_out_by_its_change(
    clerk: User, committer: User, family: DraftRecorded, certifier: Any
) -> None:
    change_id = _move_out_draft(clerk, family, days_late=15)
    commit_change(
        actor=committer,
        purpose=PURPOSE,
        change_id=change_id,
        acknowledged_alerts=["moveout.late_notification"],
    )
    client = logged_in(committer)
    body: dict[str, Any] = {
        "purpose": PURPOSE,
        "request": {"requester_class": "same_household", "identity_check": "drivers_license"},
        "change_id": change_id,
    }
    refused = client.post(
        "/api/certificates/move-out-at-commit", json.dumps(body), content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "certificates.move_out_kind_at_commit"
    body["kind"] = "move_out_substitute"
    answer = client.post(
        "/api/certificates/move-out-at-commit", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200
    assert "転出証明書に準ずる証明書" in flat(
        "".join(pdf_pages(base64.b64decode(answer.json()["pdf_base64"])))
    )
    issuance = Issuance.objects.get(pk=answer.json()["issuance_id"])
    assert (issuance.at_commit_change, issuance.requester_class) == (change_id, "same_household")


def test_a_special_move_out_mover_is_left_off_the_certificate_of_the_others(
    special_movers: DraftRecorded,  # noqa: F811 (the imported fixture)
    committer: User,
    certifier: Any,
) -> None:
    _head, wife, _child = special_movers.atena_numbers
    change_id = Change.objects.filter(reason=ChangeReason.DOMESTIC_MOVE_OUT).get().pk
    due = move_out_certificate_of_change(change_id)
    assert due is not None
    assert (due.atena_numbers, due.kinds) == ((wife,), (CertificateKind.MOVE_OUT,))
    issued = issue_at_move_out_commit(
        actor=committer,
        purpose=PURPOSE,
        request=own_request(),
        change_id=change_id,
        kind=CertificateKind.MOVE_OUT,
    )
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == [wife]
