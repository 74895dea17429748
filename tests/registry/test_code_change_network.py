"""A 住民票コードの変更 committed in the registry reaches the prefecture and the national node with the
旧住民票コード, which re-key the same person (issue 8 item 6; docs/jukinet.md Flow 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.jukinet.cs import relays
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.national.models import UpdateRefusal
from jumin.jukinet.prefecture.models import IdentityRecord, RefusedUpdate
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import commit_change, record_move_in
from jumin.registry.workflows.number_changes import (
    ChangeBasis,
    NumberChangeRequest,
    record_resident_code_change,
)
from tests.registry.conftest import PURPOSE, current, family_move_in

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")


def test_a_committed_code_change_rekeys_the_person_at_the_prefecture_and_the_national_node(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=clerk, purpose="registry_batch"))
        moved_in = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:1])
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved_in.change_id)
    federation.pump()
    atena = moved_in.atena_numbers[0]
    old = current(atena).juminhyo_code
    stores = (
        IdentityRecord.objects.get(resident_code=old).pk,
        NationalRecord.objects.get(resident_code=old).pk,
    )
    asked = NumberChangeRequest(
        atena_number=atena, basis=ChangeBasis.REQUEST, requested_on=timezone.localdate() - timedelta(days=1)
    )
    with federation.acting_as(SASEBO):
        draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=asked)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    new = current(atena).juminhyo_code
    assert new != old
    assert not RefusedUpdate.objects.exists()
    assert not UpdateRefusal.objects.exists()
    assert (
        IdentityRecord.objects.get(resident_code=new).pk,
        NationalRecord.objects.get(resident_code=new).pk,
    ) == stores
    assert not IdentityRecord.objects.filter(resident_code=old).exists()
    assert not NationalRecord.objects.filter(resident_code=old).exists()
