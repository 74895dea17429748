"""An entry about several persons (``record_event(concerning=...)``) and their exchanges (issue 8 item 7)."""

import pytest

from jumin.audit.actions import AuditAction
from jumin.audit.exchanges import exchanges_concerning
from jumin.audit.models import AuditResultSubject
from jumin.audit.selectors import verify_chain
from jumin.audit.services import AuditFieldError, record_event
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db

KINDS = {AuditAction.CS_IDENTITY_UPDATE: "更新", AuditAction.CS_CARD_VERIFY: "本人確認"}


def test_the_persons_an_entry_concerns_are_chained_like_a_result_list() -> None:
    entry = record_event(actor=None, action=AuditAction.CS_IDENTITY_UPDATE, concerning=["7", "8"])
    assert entry.results_digest
    assert list(entry.result_subjects.order_by("position").values_list("subject_id", flat=True)) == ["7", "8"]
    assert verify_chain().intact
    drop_append_only_guards()
    AuditResultSubject.objects.filter(subject_id="8").delete()
    assert verify_chain().problem == "results"


def test_a_concerned_id_must_be_plain_text() -> None:
    with pytest.raises(AuditFieldError):
        record_event(actor=None, action=AuditAction.CS_IDENTITY_UPDATE, concerning=[""])


def test_a_persons_exchanges_are_the_named_kinds_newest_first() -> None:
    record_event(actor=None, action=AuditAction.CS_IDENTITY_UPDATE, reason="first", concerning=["7", "8"])
    record_event(actor=None, action=AuditAction.CS_EXCHANGE_VIEW, concerning=["7"])  # not an exchange
    record_event(actor=None, action=AuditAction.CS_CARD_VERIFY, reason="second", concerning=["8"])
    record_event(
        actor=None, action=AuditAction.CS_CARD_VERIFY, subject_type="p", subject_id="7", reason="third"
    )
    rows = exchanges_concerning(person_ids=["7"], kinds=KINDS, subject_type="p")
    assert [(row.kind, row.detail) for row in rows] == [("本人確認", "third"), ("更新", "first")]
    assert [row.detail for row in exchanges_concerning(person_ids=["8"], kinds=KINDS)] == ["second", "first"]
    assert exchanges_concerning(person_ids=[], kinds=KINDS) == []
