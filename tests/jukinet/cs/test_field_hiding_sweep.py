"""Field hiding on the 住基ネット 統合端末 (CS) screens and API (standard 10.4-a; controls.md C-9, C-10).

The CS half of tests/registry/test_field_hiding_sweep.py (whose docstring lists every output). The CS
holds the 本人確認情報: of the hidden items only the 住民票コード and the 個人番号 are in it (no 本籍, no
在留資格). For each, every CS output that carries a person is called once by a clerk without the grant
(the value is absent) and once by a clerk holding every grant (the person is shown, and the value is
present where the output shows that item). Outputs found by ``grep -n "def " jukinet/cs/views.py
jukinet/cs/api.py``:

* 本人確認情報の検索 (screen and ``/search``), a list: the 住民票コード only;
* 本人確認（個人番号カード） (screen and ``/card/verify``): the 住民票コード and the 個人番号;
* 特例転入のカード確認 (``/move-out-certificates/card-check``): the holder's 住民票コード;
* 転出証明書情報一覧 (screen and ``/move-out-certificates/list``): the 住民票コード;
* 未送信・エラー一覧 (screen and ``/worklists``) and 整合性確認の差異 (screen and
  ``/consistency/runs/{id}/differences``): the 住民票コード.

Not here: 広域交付 issues a certificate (printed as the law asks, no 個人番号 or 本籍 at all); its
records list masks the code, tested in tests/certificates/test_wide_area.py. 本人確認情報の提供状況
shows only the code the clerk typed, 送付先情報 no person item. The 附票 notices (the ``cs fuhyo-notices``
CSV, and the 受信一覧 screen ``fuhyo_notice_inbox``) mask through ``fuhyo_notices.items_as_seen`` and
``access.shown_resident_code``, tested in tests/jukinet/cs/test_fuhyo_notices.py and
test_fuhyo_notice_screen.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission as P  # noqa: N817 (keeps the table readable)
from jumin.jukinet.cs.models import (
    CertificateRequest,
    ConsistencyRun,
    CsIdentity,
    CsIdentityVersion,
    PendingNotice,
)
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.jukinet.cs.factories import differing
from tests.jukinet.cs.test_special_move_in import NAGASAKI, PIN, SASEBO, card_holder_moving_out, send

pytestmark = pytest.mark.django_db
PURPOSE = "cs_operator"
CODE = "住民票コード"
NUMBER = "個人番号"
ALL = (
    P.FIELD_JUMINHYO_CODE_VIEW,
    P.FIELD_INDIVIDUAL_NUMBER_VIEW,
    P.INDIVIDUAL_NUMBER_ACCESS,
    P.FIELD_HONSEKI_VIEW,
    P.FIELD_RESIDENCE_STATUS_VIEW,
)
# The grant withdrawn for each item: the 個人番号 also needs 特定個人情報アクセス権限 (C-9), the stricter
# of its two grants, so its sweep keeps FIELD_INDIVIDUAL_NUMBER_VIEW and withdraws the access.
WITHDRAWN = {CODE: P.FIELD_JUMINHYO_CODE_VIEW, NUMBER: P.INDIVIDUAL_NUMBER_ACCESS}


@dataclass(frozen=True)
class Holder:
    """A card holder who moved out of 佐世保市; 長崎市 holds their 転出証明書情報."""

    code: str
    number: str
    name: str
    card: dict[str, Any]


@dataclass(frozen=True)
class Output:
    """One CS screen or endpoint: how to call it, the permissions it needs, the items it shows."""

    name: str
    permissions: tuple[P, ...]
    call: Callable[[Any, Holder], str]
    shows: frozenset[str]
    shown_person: str = ""  # text proving the person was listed; the holder's name when empty
    node: NodeRef = NAGASAKI  # the CS called: 長崎市 holds the certificate, 佐世保市 the record


def _json(response: Any) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def _api(path: str, **body: Any) -> Callable[[Any, Holder], str]:
    def call(client: Any, holder: Holder) -> str:
        values = {key: (value(holder) if callable(value) else value) for key, value in body.items()}
        data = json.dumps({"purpose": PURPOSE, **values})
        return _json(client.post(path, data=data, content_type="application/json"))

    return call


def _get(url: str) -> Callable[[Any, Holder], str]:
    def call(client: Any, holder: Holder) -> str:
        return str(client.get(reverse(url), {"purpose": PURPOSE}).content.decode())

    return call


def _search_screen(client: Any, holder: Holder) -> str:
    body = {
        "purpose": PURPOSE,
        "by": "four_items",
        "name": holder.name,
        "birth_date": "19800401",
        "include_removed": "on",
    }
    return str(client.post(reverse("jukinet_cs:search"), {**body, "reason": "転入届の確認"}).content.decode())


def _card_screen(client: Any, holder: Holder) -> str:
    upload = SimpleUploadedFile(
        "card.json", json.dumps(holder.card).encode(), content_type="application/json"
    )
    form = {"purpose": PURPOSE, "card": upload, "pin": PIN}
    return str(client.post(reverse("jukinet_cs:card_verify"), form).content.decode())


def _differences(client: Any, holder: Holder) -> str:
    run = ConsistencyRun.objects.get()
    return str(
        client.get(
            reverse("jukinet_cs:consistency_run", args=[run.run_id]), {"purpose": PURPOSE}
        ).content.decode()
    )


def _differences_api(client: Any, holder: Holder) -> str:
    run = ConsistencyRun.objects.get()
    path = f"/api/jukinet/cs/consistency/runs/{run.run_id}/differences"
    return _json(client.post(path, data=json.dumps({"purpose": PURPOSE}), content_type="application/json"))


CODE_ONLY = frozenset({CODE})
OUTPUTS = [
    Output("search", (P.CS_SEARCH,), _search_screen, CODE_ONLY, "本人確認情報（1件）", SASEBO),
    Output(
        "api-search",
        (P.CS_SEARCH,),
        _api(
            "/api/jukinet/cs/search",
            by="four_items",
            name=lambda h: h.name,
            birth_date="19800401",
            reason="確認",
            target="local",
            include_removed=True,
        ),
        CODE_ONLY,
        "resident_code",
        SASEBO,
    ),
    Output("card-verify", (P.CS_IDENTITY_CHECK,), _card_screen, frozenset({CODE, NUMBER})),
    Output(
        "api-card-verify",
        (P.CS_IDENTITY_CHECK,),
        _api("/api/jukinet/cs/card/verify", card=lambda h: h.card, pin=PIN),
        frozenset({CODE, NUMBER}),
    ),
    Output(
        "api-certificate-card-check",
        (P.CS_IDENTITY_CHECK,),
        _api("/api/jukinet/cs/move-out-certificates/card-check", card=lambda h: h.card, pin=PIN),
        CODE_ONLY,
        "held_id",
    ),
    Output(
        "certificate-lists",
        (P.CS_IDENTITY_CHECK,),
        _get("jukinet_cs:move_out_certificates"),
        CODE_ONLY,
        "依頼中",
    ),
    Output(
        "api-certificate-lists",
        (P.CS_IDENTITY_CHECK,),
        _api("/api/jukinet/cs/move-out-certificates/list"),
        CODE_ONLY,
        "依頼中",
    ),
    Output("worklist", (P.CS_CONSISTENCY,), _get("jukinet_cs:worklist"), CODE_ONLY, "国内転出"),
    Output("api-worklist", (P.CS_CONSISTENCY,), _api("/api/jukinet/cs/worklists"), CODE_ONLY, "国内転出"),
    Output("differences", (P.CS_CONSISTENCY,), _differences, CODE_ONLY, "内容が異なる"),
    Output("api-differences", (P.CS_CONSISTENCY,), _differences_api, CODE_ONLY, "different"),
]


@pytest.fixture
def holder(federation: TestFederation) -> Holder:
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)  # an integrated terminal
    operator = make_user(username="csop-sweep")
    grant_permissions(operator, [P.CS_IDENTITY_CHECK, P.CS_CARD])
    request, card = card_holder_moving_out(federation, operator)
    send(federation, request)  # 長崎市 now holds the 転出証明書情報
    # One row in each list that names people by 住民票コード.
    CertificateRequest.objects.create(
        resident_code=request.resident_code, sent_to="422029", requested_at=timezone.now()
    )
    differing(request.resident_code, municipality_code="422011")
    # A notice of the person left 送信待ち (as when the prefecture is no peer).
    PendingNotice.objects.create(
        identity=CsIdentity.objects.get(resident_code=request.resident_code),
        version=CsIdentityVersion.objects.filter(resident_code=request.resident_code).latest("pk"),
        created_at=timezone.now(),
    )
    return Holder(request.resident_code, request.individual_number, request.name, card)


@pytest.mark.parametrize("item", [CODE, NUMBER])
@pytest.mark.parametrize("output", OUTPUTS, ids=[o.name for o in OUTPUTS])
def test_an_item_is_shown_only_to_a_clerk_holding_its_grant(
    output: Output, item: str, holder: Holder, federation: TestFederation, make_staff: Callable[..., Any]
) -> None:
    """Absent from every CS output without the grant; present with it wherever the output shows it."""
    secret = holder.code if item == CODE else holder.number
    without = make_staff([*output.permissions, *(p for p in ALL if p is not WITHDRAWN[item])])
    with federation.acting_as(output.node):
        page = output.call(without, holder)
    assert secret not in page, f"{output.name} shows the {item} without {WITHDRAWN[item].value}"
    entitled = make_staff([*output.permissions, *ALL])
    with federation.acting_as(output.node):
        page = output.call(entitled, holder)
    assert (output.shown_person or holder.name) in page, page[:2000]
    if item in output.shows:
        assert secret in page, page[page.find("<table") :][:3000]
