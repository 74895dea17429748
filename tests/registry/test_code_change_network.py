"""A 住民票コードの変更 committed in the registry reaches the prefecture and the national node with the
旧住民票コード, which re-key the same person (issue 8 item 6; docs/jukinet.md Flow 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.fuhyo import accept_fuhyo_updates
from jumin.jukinet.cs.models import CsFuhyo
from jumin.jukinet.national.models import FuhyoRecord as NationalFuhyo
from jumin.jukinet.national.models import FuhyoRefusal, UpdateRefusal
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.prefecture.models import FuhyoRecord as PrefectureFuhyo
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
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.prefecture.helpers import fuhyo
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


def test_a_committed_code_change_rekeys_the_persons_fuhyo_and_the_fuhyo_systems_change_follows(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=clerk, purpose="registry_batch"))
        moved_in = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:1])
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved_in.change_id)
    atena = moved_in.atena_numbers[0]
    old = current(atena).juminhyo_code
    # 佐世保市 is also the person's 本籍地: its 附票 system recorded them under the same code.
    fuhyo_system = make_user(username="fuhyo01")
    grant_permissions(fuhyo_system, [Permission.CS_FUHYO])
    entry = fuhyo(resident_code=old)
    with federation.acting_as(SASEBO):
        accept_fuhyo_updates(actor=fuhyo_system, purpose="cs_fuhyo", payloads=[entry])
    federation.pump()
    kept = (
        PrefectureFuhyo.objects.get(resident_code=old).pk,
        NationalFuhyo.objects.get(resident_code=old).pk,
    )
    asked = NumberChangeRequest(
        atena_number=atena, basis=ChangeBasis.REQUEST, requested_on=timezone.localdate() - timedelta(days=1)
    )
    with federation.acting_as(SASEBO):
        draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=asked)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    new = current(atena).juminhyo_code
    # The 本人確認情報 notice of the change re-keys the 附票 stores of both servers.
    assert PrefectureFuhyo.objects.get(resident_code=new).pk == kept[0]
    assert NationalFuhyo.objects.get(resident_code=new).pk == kept[1]
    assert not PrefectureFuhyo.objects.filter(resident_code=old).exists()
    # The 附票 system's change naming the 旧住民票コード then applies to the same records everywhere.
    follow = {**entry, "notice_type": "change", "resident_code": new, "former_resident_code": old}
    with federation.acting_as(SASEBO):
        accept_fuhyo_updates(actor=fuhyo_system, purpose="cs_fuhyo", payloads=[follow])
    federation.pump()
    assert not RefusedUpdate.objects.exists()
    assert not FuhyoRefusal.objects.exists()
    assert CsFuhyo.objects.get().resident_code == new
    assert PrefectureFuhyo.objects.get().items == follow
    assert (NationalFuhyo.objects.get().pk, NationalFuhyo.objects.get().items) == (kept[1], follow)
