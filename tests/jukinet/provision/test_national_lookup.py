"""機構への情報照会 from a provision terminal, through the real signed query to the national node (F19)."""

from __future__ import annotations

import pytest
from django.db import transaction

from jumin.accounts.models import User
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
from jumin.jukinet.prefecture.provision.keys import SearchKey
from jumin.jukinet.prefecture.provision.models import LegalBasis, ProvisionRecord
from jumin.jukinet.prefecture.provision.provide import provide
from jumin.messaging import services
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.jukinet.prefecture.helpers import NATIONAL, notice
from tests.jukinet.provision.conftest import PURPOSE

pytestmark = pytest.mark.django_db

TOKYO = NodeRef("prefecture", "130001")
NAGASAKI_PREFECTURE = NodeRef("prefecture", "420000")


def test_a_resident_of_another_prefecture_is_found_at_the_national_node(
    federation: TestFederation, operator: User, basis: LegalBasis
) -> None:
    # 東京都 tells the national node about a 千代田区 resident; 長崎県 has never heard of them.
    elsewhere = notice(municipality_code="131016", address="東京都千代田区試験町1番地")
    with federation.acting_as(TOKYO), transaction.atomic():
        services.enqueue(message_type=IDENTITY_UPDATE, receiver=NATIONAL, subject="pf-t1", payload=elsewhere)
    assert federation.pump() == 1

    key = SearchKey(by="resident_code", resident_code=str(elsewhere["resident_code"]))
    with federation.acting_as(NAGASAKI_PREFECTURE):
        here = provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
        asked = provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE, ask_national=True)

    assert here.outcome == "not_found"
    assert asked.outcome == "national"
    assert asked.persons[0]["address"] == "東京都千代田区試験町1番地"
    assert "individual_number" not in asked.persons[0]  # the basis does not allow it
    assert sorted(ProvisionRecord.objects.values_list("outcome", flat=True)) == ["national", "not_found"]
