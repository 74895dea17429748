"""住民票コードの変更 through the network (issue 8 item 6): the notice carries the 旧住民票コード and the
CS, the prefecture and the national node re-key the same person, history kept, the old code findable."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.jukinet.common.notice import notice_from_payload
from jumin.jukinet.cs import exchanges, services
from jumin.jukinet.cs.models import CsIdentity
from jumin.jukinet.national import exchanges as national_exchanges
from jumin.jukinet.national.models import IdentityHistory, IndividualNumberRegister
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from jumin.jukinet.prefecture.provision import exchanges as prefecture_exchanges
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code, then, update
from tests.jukinet.synthetic import identity_notice

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
CODE_CHANGE = "住民票コードの変更"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop21")
    grant_permissions(
        user, [Permission.CS_SEARCH, Permission.NATIONAL_MONITOR, Permission.PROVISION_DISCLOSURE]
    )
    return user


def test_a_changed_code_rekeys_the_person_on_every_node(federation: TestFederation, operator: User) -> None:
    first = update()
    old = first.resident_code
    with federation.acting_as(SASEBO):
        services.accept_update(first, actor=None)
    federation.pump()
    before = (
        CsIdentity.objects.get(resident_code=old).pk,
        IdentityRecord.objects.get(resident_code=old).pk,
        NationalRecord.objects.get(resident_code=old).pk,
    )
    new = resident_code(8001)
    changed = then(first, resident_code=new, former_resident_code=old, change_reason=CODE_CHANGE)
    with federation.acting_as(SASEBO):
        result = services.accept_update(changed, actor=None)
    assert result.queued == 1
    federation.pump()
    assert not RefusedUpdate.objects.exists()
    after = (
        CsIdentity.objects.get(resident_code=new).pk,
        IdentityRecord.objects.get(resident_code=new).pk,
        NationalRecord.objects.get(resident_code=new).pk,
    )
    assert after == before  # the same person, not a second one
    assert not IdentityRecord.objects.filter(resident_code=old).exists()
    assert not NationalRecord.objects.filter(resident_code=old).exists()
    # History kept: each version under the code it was received with.
    assert list(IdentityVersion.objects.order_by("pk").values_list("resident_code", flat=True)) == [old, new]
    assert list(IdentityHistory.objects.order_by("pk").values_list("resident_code", flat=True)) == [old, new]
    assert set(IndividualNumberRegister.objects.values_list("resident_code", flat=True)) == {new}
    # The old code still finds the person's exchanges on each node.
    with federation.acting_as(SASEBO):
        cs_old = exchanges.provision_status(actor=operator, purpose="cs_operator", resident_code=old)
    assert [row.detail.split()[0] for row in cs_old.exchanges] == [CODE_CHANGE, "国内転入"]
    national = national_exchanges.provision_status(
        actor=operator, purpose="national_monitor", resident_code=old
    )
    assert [row.action for row in national.exchanges] == ["national:identity:update"] * 2
    prefecture = prefecture_exchanges.provision_status(
        actor=operator, purpose="provision_disclosure", resident_code=old
    )
    assert [row.action for row in prefecture.exchanges] == ["prefecture:identity:update"] * 2


def test_later_notices_do_not_carry_the_former_code_again(federation: TestFederation) -> None:
    first = update()
    with federation.acting_as(SASEBO):
        services.accept_update(first, actor=None)
        changed = then(
            first,
            resident_code=resident_code(8002),
            former_resident_code=first.resident_code,
            change_reason=CODE_CHANGE,
        )
        services.accept_update(changed, actor=None)
        # The registry keeps the 旧住民票コード on the person: a later update still names it.
        moved = then(changed, change_reason="転居", address="長崎県佐世保市八幡町1番1号")
        services.accept_update(moved, actor=None)
    federation.pump()
    assert not RefusedUpdate.objects.exists()
    notices = [version.notice for version in IdentityVersion.objects.order_by("pk")]
    assert [n["former_resident_code"] for n in notices[1:]] == [first.resident_code, ""]


def test_a_former_code_only_travels_with_a_code_change_and_may_be_left_out() -> None:
    former = resident_code(8003)
    with pytest.raises(DomainError) as refused:
        notice_from_payload(identity_notice(former_resident_code=former))
    assert refused.value.field == "former_resident_code"
    changed = notice_from_payload(identity_notice(former_resident_code=former, change_reason=CODE_CHANGE))
    assert changed.former_resident_code == former
    older_sender = identity_notice()
    older_sender.pop("former_resident_code")
    assert notice_from_payload(older_sender).former_resident_code == ""
