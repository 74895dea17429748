"""Field hiding on every clerk screen and output that shows a person (standard 10.4-a; controls.md C-10).

One table of screens; for each field permission the sweep visits every screen as a clerk without it
and asserts the value is absent, then as a clerk with it and asserts the value is present wherever
the screen shows that item. A new person screen is added to ``SCREENS`` once, not tested by hand.

Files and media, found by grep over src/jumin (2026-11-24) for ``text/csv``, ``application/pdf``,
``application/octet-stream``, ``Content-Disposition`` and ``csv.writer``:

* EUC CSV, XML and PDF (registry/euc; screen and ``/api/registry/euc``): in ``SCREENS``; a definition
  naming a hidden item is refused, and (below) a result is withheld once a grant of its items is gone.
* 法30条の50 確認票 (upload preview, screen and API, and a received notice's sheet): below.
* 市町村通知 to 出入国在留管理庁 (views_immigration, ``municipality-notices-N.csv``): not masked, by
  design: a statutory notice whose items the law fixes (住基法30条の50), as the certificates below.
* Certificates (certificates/views, 広域交付 PDF of jukinet/cs/views): printed as the law and the
  request say, not by the clerk's grants; their preview (``certificate-preview``) is in ``SCREENS``.
* 附票記載事項通知: the ``cs fuhyo-notices`` CSV and screens mask through
  ``jukinet/cs/fuhyo_notices.items_as_seen`` (tests/jukinet/cs/test_fuhyo_notices.py).
* The 住基ネット CS screens and API: tests/jukinet/cs/test_field_hiding_sweep.py.
* The prefecture node's 一括提供 CSV and 開示 PDF (jukinet/prefecture/provision): statutory provision
  to a body the law names and disclosure to the person themself, not masked by the clerk's grants;
  not swept here.
* Not person items: the audit log CSV (audit/) and the grant and staff CSV (web/views_rights).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jumin.accounts.models import Grant, User
from jumin.accounts.permissions import Permission as P  # noqa: N817 (keeps the screen table readable)
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.domain.resident import ResidentKind, Sex
from jumin.registry.euc import services as euc_services
from jumin.registry.euc.writers import OutputFormat
from jumin.registry.models_euc import EucRun
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows import immigration_receipts
from tests.certificates.conftest import certifier, signing_keys  # noqa: F401 (fixtures)
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_immigration_notices import RENEWAL, foreigner, notice, notice_file
from tests.registry.test_move_in_individual_number import HEAD_NUMBER, WIFE_NUMBER
from tests.registry.test_special_permanent_certificate import NEW_NUMBER as CERTIFICATE_NEW_NUMBER
from tests.registry.test_special_permanent_certificate import enter as certificate_entry
from tests.registry.test_special_permanent_certificate import handover as certificate_handover
from tests.registry.test_special_permanent_certificate import holder as special_permanent_holder

pytestmark = pytest.mark.django_db
__all__ = ["foreigner"]  # the fixture, imported for use here

HONSEKI = "長崎県佐世保市八幡町1番地"
RESIDENCE_STATUS = "技術・人文知識・国際業務"


@dataclass(frozen=True)
class People:
    """A committed household (Japanese 世帯主, foreign 妻) and a pending draft of another household."""

    head: str
    foreign: str
    household: str
    draft_change_id: int
    code: str


@dataclass(frozen=True)
class Screen:
    """One screen or endpoint: how to call it, the permissions it needs, the fields it shows."""

    name: str
    permissions: tuple[P, ...]
    call: Callable[[Any, People, str], str]  # (client, people, subject atena) -> response text
    shows: frozenset[P]
    shown_person: str = ""  # text proving the person was shown; the subject's surname when empty


def _post(url: str, **data: Any) -> Callable[[Any, People, str], str]:
    def call(client: Any, people: People, atena: str) -> str:
        values = {key: (value(people, atena) if callable(value) else value) for key, value in data.items()}
        return str(client.post(reverse(url), data={"purpose": PURPOSE, **values}).content.decode())

    return call


def _api(path: str) -> Callable[[Any, People, str], str]:
    def call(client: Any, people: People, atena: str) -> str:
        body = json.dumps({"purpose": PURPOSE, "atena_number": atena})
        response = client.post(path, data=body, content_type="application/json")
        # Unescaped, so a leaked value is found whatever the JSON encoder did with non-ASCII text.
        return json.dumps(response.json(), ensure_ascii=False)

    return call


def _api_search(client: Any, people: People, atena: str) -> str:
    body = json.dumps({"purpose": PURPOSE, "criteria": {"atena_number": atena}})
    response = client.post("/api/registry/search", data=body, content_type="application/json")
    return json.dumps(response.json(), ensure_ascii=False)


def _certificate_confirm(client: Any, people: People, atena: str) -> str:
    data = {
        "purpose": "certificate",
        "atena_numbers": atena,
        "kind": "copy",
        "layout": "personal",
        "whole_household": "0",
        "show_honseki": "on",
        "show_foreign_items": "on",
        "show_juminhyo_code": "on",
        "copies": "1",
        "requester_class": "self",
        "identity_check": "mynumber_card",
        "step": "confirm",
    }
    return str(client.post(reverse("certificates:issue"), data=data).content.decode())


# Every hidden item the EUC catalogue has (the 個人番号 is never extractable, C-60), for one person.
EUC_ITEMS = ["atena_number", "surname", "honseki", "hittousha", "juminhyo_code", "residence_status"]


def _euc_download(client: Any, run_id: int) -> Any:
    body = json.dumps({"purpose": PURPOSE, "run_id": run_id})
    return client.post("/api/registry/euc/runs/download", data=body, content_type="application/json")


def _euc_file(output_format: str) -> Callable[[Any, People, str], str]:
    """The EUC file of one person through the API (request, the job, download), as text.

    A definition naming an item the clerk may not see is refused: the answer is the refusal.
    """

    def call(client: Any, people: People, atena: str) -> str:
        definition = {
            "items": EUC_ITEMS,
            "conditions": [{"item": "atena_number", "op": "eq", "value": atena}],
        }
        body = {"purpose": PURPOSE, "definition": definition, "output_format": output_format}
        queued = client.post("/api/registry/euc/runs", data=json.dumps(body), content_type="application/json")
        if queued.status_code != 202:
            return str(queued.content.decode())
        run_id = queued.json()["run_id"]
        if EucRun.objects.get(pk=run_id).state == EucRun.State.QUEUED:
            euc_services.run_extraction(run_id)  # the test task backend runs jobs on commit only
        answer = _euc_download(client, run_id)
        if output_format == "pdf" and answer.status_code == 200:
            return flat("".join(pdf_pages(answer.content)))
        return str(answer.content.decode("utf-8-sig"))

    return call


ALL = frozenset(
    {
        P.FIELD_HONSEKI_VIEW,
        P.FIELD_JUMINHYO_CODE_VIEW,
        P.FIELD_RESIDENCE_STATUS_VIEW,
        P.FIELD_INDIVIDUAL_NUMBER_VIEW,
        P.INDIVIDUAL_NUMBER_ACCESS,
    }
)
# The record screens never show the 個人番号 (only the card screen does, on request).
RECORD = frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_JUMINHYO_CODE_VIEW, P.FIELD_RESIDENCE_STATUS_VIEW})
HONSEKI_CODE = frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_JUMINHYO_CODE_VIEW})  # no 在留資格 in the 異動履歴
SCREENS = [
    Screen("record", (P.RESIDENT_VIEW,), _post("registry:lookup", atena_number=lambda p, a: a), RECORD),
    Screen(
        "timeline", (P.RESIDENT_VIEW,), _post("registry:timeline", atena_number=lambda p, a: a), HONSEKI_CODE
    ),
    Screen(
        "household",
        (P.RESIDENT_VIEW,),
        _post("registry:household_inquiry", household_number=lambda p, a: p.household),
        frozenset({P.FIELD_JUMINHYO_CODE_VIEW}),
    ),
    Screen(
        "draft-review",
        (P.RESIDENT_COMMIT, P.RESIDENT_VIEW),
        lambda client, people, atena: str(
            client.post(
                reverse("registry:draft", args=[people.draft_change_id]), {"purpose": PURPOSE, "show": "1"}
            ).content.decode()
        ),
        frozenset(),
        "佐藤",
    ),
    Screen(
        "review-confirm",
        (P.RESIDENT_COMMIT, P.RESIDENT_VIEW),
        _post("registry:review_confirm", change_ids=lambda p, a: str(p.draft_change_id)),
        frozenset({P.FIELD_HONSEKI_VIEW}),
        "佐藤",
    ),
    Screen(
        "card-status",
        (P.RESIDENT_VIEW,),
        _post("registry:cards", atena_number=lambda p, a: a, with_individual_number="on"),
        frozenset({P.INDIVIDUAL_NUMBER_ACCESS}),
        "カード運用状況",
    ),
    Screen(
        "programs",
        (P.RESIDENT_VIEW,),
        _post("registry:programs", atena_number=lambda p, a: a),
        frozenset(),
        "現在の資格",
    ),
    Screen(
        "cancellation-history",
        (P.RESIDENT_RECORD, P.RESIDENT_VIEW),
        _post("registry:cancellation", atena_number=lambda p, a: a, show="1"),
        frozenset(),
        "国内転入",
    ),
    Screen(
        "search-list",
        (P.RESIDENT_SEARCH,),
        _post("registry:search", atena_number=lambda p, a: a, name_mode="exact"),
        frozenset(),
    ),
    Screen("api-search", (P.RESIDENT_SEARCH,), _api_search, frozenset()),
    Screen(
        "certificate-preview", (P.CERTIFICATE_ISSUE,), _certificate_confirm, frozenset(), "交付内容の確認"
    ),
    Screen("api-lookup", (P.RESIDENT_VIEW,), _api("/api/registry/residents/lookup"), RECORD),
    Screen("api-history", (P.RESIDENT_VIEW,), _api("/api/registry/residents/history"), RECORD),
    Screen("api-timeline", (P.RESIDENT_VIEW,), _api("/api/registry/inquiry/timeline"), HONSEKI_CODE),
    *(Screen(f"euc-{fmt}", (P.EUC_EXTRACT,), _euc_file(fmt), RECORD) for fmt in ("csv", "xml", "pdf")),
]

FIELDS: dict[P, str] = {
    P.FIELD_HONSEKI_VIEW: "本籍",
    P.FIELD_JUMINHYO_CODE_VIEW: "住民票コード",
    P.FIELD_RESIDENCE_STATUS_VIEW: "在留資格",
    # 個人番号 is shown only beside 特定個人情報アクセス権限 (C-9): the sweep keeps the field permission
    # and withdraws the access, the stricter of the two.
    P.INDIVIDUAL_NUMBER_ACCESS: "個人番号",
}


@pytest.fixture
def people(
    make_clerk: Callable[..., User], code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> People:
    wife = person(
        "グエン", "アン", "グエン", "アン", relationship="妻", sex=Sex.FEMALE, kind=ResidentKind.FOREIGN
    )
    clerk = make_clerk("maker_no", P.RESIDENT_RECORD, P.RESIDENT_VIEW, P.INDIVIDUAL_NUMBER_ACCESS)
    move_in = family_move_in(members=[person(), wife], individual_numbers=(HEAD_NUMBER, WIFE_NUMBER))
    household = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in))
    pending = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            members=[
                person("佐藤", "一郎", "サトウ", "イチロウ"),
                person(
                    "佐藤",
                    "ミン",
                    "サトウ",
                    "ミン",
                    relationship="妻",
                    sex=Sex.FEMALE,
                    kind=ResidentKind.FOREIGN,
                ),
            ]
        ),
    )
    head, foreign = household.atena_numbers
    snapshot = current(head)
    return People(
        head=head,
        foreign=foreign,
        household=snapshot.household.number,
        draft_change_id=pending.change_id,
        code=snapshot.juminhyo_code,
    )


def _value(field: P, people: People) -> tuple[str, str]:
    """The subject's 宛名番号 and the text that must not leak for ``field``."""
    if field is P.FIELD_HONSEKI_VIEW:
        return people.head, HONSEKI
    if field is P.FIELD_JUMINHYO_CODE_VIEW:
        return people.head, people.code
    if field is P.INDIVIDUAL_NUMBER_ACCESS:
        return people.head, HEAD_NUMBER
    return people.foreign, RESIDENCE_STATUS


@pytest.mark.parametrize("field", list(FIELDS), ids=[f.value for f in FIELDS])
@pytest.mark.usefixtures("certifier")
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_a_field_is_shown_only_to_a_clerk_holding_its_permission(
    screen: Screen, field: P, people: People, make_clerk: Callable[..., User]
) -> None:
    """Absent on every screen without the permission; present with it wherever the screen shows it."""
    atena, secret = _value(field, people)
    others = tuple(ALL - {field})
    without = logged_in(make_clerk(f"no-{screen.name}", *screen.permissions, *others))
    page = screen.call(without, people, atena)
    assert secret not in page, f"{screen.name} shows {FIELDS[field]} without {field.value}"
    entitled = logged_in(make_clerk(f"with-{screen.name}", *screen.permissions, *ALL))
    page = screen.call(entitled, people, atena)
    # The screen did show the person, so the absence above is not a refusal page.
    assert (screen.shown_person or ("青木" if atena == people.head else "グエン")) in page
    if field in screen.shows:
        assert secret in page


def test_an_euc_file_is_withheld_once_a_field_grant_of_its_items_is_withdrawn(
    people: People, make_clerk: Callable[..., User]
) -> None:
    """The file keeps what the items showed at the run: a withdrawn grant (C-10) refuses its download."""
    clerk = make_clerk("euc-withdrawn", P.EUC_EXTRACT, P.FIELD_HONSEKI_VIEW)
    client = logged_in(clerk)
    definition = {
        "items": ["atena_number", "honseki"],
        "conditions": [{"item": "atena_number", "op": "eq", "value": people.head}],
    }
    run_id = euc_services.request_extraction(
        actor=clerk, purpose=PURPOSE, raw=definition, output_format=OutputFormat.CSV
    )
    euc_services.run_extraction(run_id)
    assert HONSEKI in _euc_download(client, run_id).content.decode("utf-8-sig")
    Grant.objects.filter(user=clerk).update(permissions=[P.EUC_EXTRACT.value])
    withheld = _euc_download(client, run_id)
    assert withheld.status_code == 403
    assert HONSEKI not in withheld.content.decode()
    refused = AuditEntry.objects.get(action=AuditAction.EUC_RESULT_DOWNLOAD, outcome="refused")
    assert refused.outcome_reason


# --- the 確認票 of a 法30条の50 notice: the record's items before the change --------------------------

STAY_EXPIRY_BEFORE = (
    "2029-03-31"  # the 在留期間の満了の日 on the record of test_immigration_notices.foreigner
)


def _notice_content() -> str:
    return notice_file(notice("N0001", **RENEWAL))


def _preview_api(client: Any) -> str:
    body = json.dumps({"purpose": PURPOSE, "content": _notice_content()})
    answer = client.post(
        "/api/registry/foreign/immigration-notices/preview", data=body, content_type="application/json"
    )
    return json.dumps(answer.json(), ensure_ascii=False)


def _preview_screen(client: Any) -> str:
    upload = SimpleUploadedFile("notices.csv", _notice_content().encode(), content_type="text/csv")
    page = client.post(reverse("registry:immigration_notices"), {"purpose": PURPOSE, "notice_file": upload})
    return str(page.content.decode())


def _received_sheet(client: Any) -> str:
    form = {"purpose": PURPOSE, "notice_id": "N0001", "sheet": "1"}
    return str(client.post(reverse("registry:received_immigration_notices"), form).content.decode())


@pytest.mark.parametrize(
    "call", [_preview_api, _preview_screen, _received_sheet], ids=["api", "screen", "received"]
)
def test_the_notice_sheet_shows_the_stay_items_only_with_their_grant(
    call: Callable[[Any], str], foreigner: str, clerk: User, make_clerk: Callable[..., User]
) -> None:
    """The 確認票 compares the record with the notice: the record's 在留 items are hidden items (C-10)."""
    immigration_receipts.receive_immigration_notices(
        actor=clerk, purpose=PURPOSE, content=_notice_content(), auto_import=False
    )
    sheet_clerk = (P.RESIDENT_RECORD, P.RESIDENT_VIEW)
    without = logged_in(make_clerk("sheet-no", *sheet_clerk, *(ALL - {P.FIELD_RESIDENCE_STATUS_VIEW})))
    page = call(without)
    assert "在留期間の満了の日" in page  # the sheet was shown
    assert STAY_EXPIRY_BEFORE not in page
    entitled = logged_in(make_clerk("sheet-with", *sheet_clerk, *ALL))
    assert STAY_EXPIRY_BEFORE in call(entitled)


# --- the 特別永住者証明書's number and expiry: hidden with the 在留資格 (standard 4.5.7-b) ----------------

CERTIFICATE_SCREENS = [
    screen
    for screen in SCREENS
    if screen.name in {"record", "api-lookup", "api-history", "timeline", "api-timeline"}
]


@pytest.mark.parametrize("screen", CERTIFICATE_SCREENS, ids=[s.name for s in CERTIFICATE_SCREENS])
def test_the_certificate_number_and_expiry_are_shown_only_with_the_residence_status_grant(
    screen: Screen,
    clerk: User,
    code_pool: list[str],
    commit: Callable[[DraftRecorded], DraftRecorded],
    make_clerk: Callable[..., User],
) -> None:
    """The record, the JSON lookup and the 異動履歴 mask them through ``mask`` without the grant (C-10)."""
    holder = special_permanent_holder(clerk, commit)
    commit(certificate_entry(clerk, holder))
    secrets = (CERTIFICATE_NEW_NUMBER, certificate_handover(holder).expiry.isoformat())  # type: ignore[union-attr]
    others = tuple(ALL - {P.FIELD_RESIDENCE_STATUS_VIEW})
    without = screen.call(
        logged_in(make_clerk(f"spc-no-{screen.name}", *screen.permissions, *others)), None, holder
    )
    assert "KIM" in without  # the person was shown
    assert not [secret for secret in secrets if secret in without]
    entitled = screen.call(
        logged_in(make_clerk(f"spc-with-{screen.name}", *screen.permissions, *ALL)), None, holder
    )
    assert all(secret in entitled for secret in secrets)
