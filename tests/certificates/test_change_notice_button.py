"""「通知書を作成」 on the registry's commit screens: the 住民票コード notice of the committed change,
printed without re-entering the 異動番号 (POST only; the permission and audit of the notice print apply)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance
from jumin.certificates.registry_notices import print_change_code_notice
from jumin.domain.certificates import IssuedNoticeKind
from jumin.domain.errors import DomainError
from jumin.registry.certificate_sources import code_notices_of_change
from jumin.registry.models import Resident
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from jumin.registry.workflows.number_changes import (
    ChangeBasis,
    NumberChangeRequest,
    ResidentCodeCorrection,
    record_resident_code_change,
    record_resident_code_correction,
)
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, family_move_in, logged_in
from tests.registry.test_move_in import ADDRESS

pytestmark = pytest.mark.django_db

BUTTON = "通知書を作成"


@pytest.fixture
def committer(make_clerk: Callable[..., User]) -> User:
    """A reviewer at the registry counter who may also print the notices (both in 住民記録窓口事務)."""
    return make_clerk(
        "committer",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.CERTIFICATE_NOTICE_PRINT,
    )


def _moved(clerk: User, family: DraftRecorded) -> int:
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=list(family.atena_numbers),
            address=type(ADDRESS)(address="長崎県佐世保市八幡町2番2号"),
            move_date=timezone.localdate(),
            notification_date=timezone.localdate(),
        ),
    )
    return draft.change_id


def _buttons(content: str) -> list[tuple[str, str]]:
    """(異動番号, 宛名番号) of each 「通知書を作成」 form on the page."""
    forms = re.findall(
        r'<form method="post" action="/certificates/registry-notices/change/">(.*?)</form>', content, re.S
    )
    found = []
    for form in forms:
        assert BUTTON in form
        change = re.search(r'name="change_id" value="(\d+)"', form)
        atena = re.search(r'name="atena_number" value="([^"]+)"', form)
        assert change is not None
        assert atena is not None
        found.append((change.group(1), atena.group(1)))
    return found


def test_the_committed_move_in_offers_a_code_notice_per_person_and_prints_it(
    clerk: User, committer: User, code_pool: list[str], certifier: Any
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    client = logged_in(committer)
    page = client.post(reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "commit": "1"})
    content = page.content.decode()
    assert "本登録しました。" in content
    assert _buttons(content) == [(str(draft.change_id), number) for number in draft.atena_numbers]
    assert "住民票コード通知票" in content
    wife = draft.atena_numbers[1]
    response = client.post(
        reverse("certificates:change_code_notice"),
        {"purpose": PURPOSE, "change_id": str(draft.change_id), "atena_number": wife},
    )
    assert response["Content-Type"] == "application/pdf"
    assert wife not in response["Content-Disposition"]  # no personal data in the file name
    text = flat("".join(pdf_pages(response.content)))
    code = Resident.objects.get(atena_number=wife).current.juminhyo_code  # type: ignore[union-attr]
    assert "住民票コード通知票" in text
    assert "青木花子様" in text
    assert f"住民票コード{code}" in text
    issuance = Issuance.objects.get(channel="notice")
    assert (issuance.kind, issuance.subjects) == ("code_notice", [wife])
    entry = AuditEntry.objects.filter(action="certificate:notice:print").get()
    assert entry.subject_id == wife
    assert f"change={draft.change_id}" in entry.reason


def test_a_committer_without_the_print_permission_sees_the_notices_due_without_the_button(
    clerk: User, make_clerk: Callable[..., User], code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    reviewer = make_clerk("reviewer-only", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW)
    page = logged_in(reviewer).post(
        reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "commit": "1"}
    )
    content = page.content.decode()
    assert "本登録しました。" in content
    assert "住民票コード通知票" in content
    assert _buttons(content) == []
    assert "通知書の作成権限がありません" in content


def test_a_change_without_a_code_notice_offers_no_button_and_is_refused(
    family: DraftRecorded, clerk: User, committer: User, certifier: Any
) -> None:
    change_id = _moved(clerk, family)
    client = logged_in(committer)
    page = client.post(reverse("registry:draft", args=[change_id]), {"purpose": PURPOSE, "commit": "1"})
    content = page.content.decode()
    assert "本登録しました。" in content
    assert BUTTON not in content
    assert code_notices_of_change(change_id) == ()
    with pytest.raises(DomainError) as raised:
        print_change_code_notice(
            actor=committer, purpose=PURPOSE, change_id=change_id, atena_number=family.atena_numbers[0]
        )
    assert raised.value.code == "certificates.no_code_notice"
    assert not Issuance.objects.filter(channel="notice").exists()
    refused = AuditEntry.objects.get(action="certificate:notice:print")
    assert (refused.outcome, refused.outcome_reason) == ("refused", "certificates.no_code_notice")


def test_the_bulk_commit_result_offers_the_buttons_of_the_committed_changes(
    family: DraftRecorded, clerk: User, committer: User, certifier: Any
) -> None:
    moved = _moved(clerk, family)
    newcomer = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(address=type(ADDRESS)(address="長崎県佐世保市松浦町3番3号")),
    )
    client = logged_in(committer)
    page = client.post(
        reverse("registry:review_commit"),
        {"purpose": PURPOSE, "change_ids": [moved, newcomer.change_id]},
    )
    buttons = _buttons(page.content.decode())
    assert buttons == [(str(newcomer.change_id), number) for number in newcomer.atena_numbers]


def test_a_code_change_calls_for_the_change_notice_and_a_correction_for_the_correction_notice(
    family: DraftRecorded, clerk: User, reviewer: User, committer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    changed = record_resident_code_change(
        actor=clerk,
        purpose=PURPOSE,
        request=NumberChangeRequest(
            atena_number=head, basis=ChangeBasis.REQUEST, requested_on=timezone.localdate(), grounds=""
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=changed.change_id)
    (notice,) = code_notices_of_change(changed.change_id)
    assert (notice.atena_number, notice.kind) == (head, IssuedNoticeKind.JUMINHYO_CODE_CHANGED)
    text = flat(
        "".join(
            pdf_pages(
                print_change_code_notice(
                    actor=committer, purpose=PURPOSE, change_id=changed.change_id, atena_number=head
                )
            )
        )
    )
    assert "住民票コード変更通知票" in text
    assert "変更前の住民票コード" in text

    corrected = record_resident_code_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=ResidentCodeCorrection(
            atena_number=head,
            correct_code=resident_code(900),
            found_on=timezone.localdate(),
            grounds="誤記載の判明",
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=corrected.change_id)
    (notice,) = code_notices_of_change(corrected.change_id)
    assert notice.kind is IssuedNoticeKind.JUMINHYO_CODE_CORRECTED
    # The earlier change's code has been replaced since: its notice would print another code.
    with pytest.raises(DomainError) as stale:
        print_change_code_notice(
            actor=committer, purpose=PURPOSE, change_id=changed.change_id, atena_number=head
        )
    assert stale.value.code == "certificates.juminhyo_code_superseded"
    assert Issuance.objects.filter(channel="notice").count() == 1
    # The refusal is audited, after the refused print's own transaction rolled back.
    refused = AuditEntry.objects.get(action="certificate:notice:print", outcome="refused")
    assert (refused.subject_id, refused.outcome_reason) == (head, "certificates.juminhyo_code_superseded")
    assert refused.reason == f"change={changed.change_id}"


def test_the_change_notice_screen_and_api_permission_triples(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    data = {"purpose": CERT_PURPOSE, "change_id": str(family.change_id), "atena_number": wife}
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:change_code_notice"),
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=data,
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/juminhyo-code/change",
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=json.dumps({**data, "change_id": family.change_id}),
        content_type="application/json",
        success_status=(200,),
    )
