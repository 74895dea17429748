"""広域交付, the registering municipality's side (住基法12条の4; system.md F11b steps 3–4).

Another municipality's CS (B) asks this node (A) for a 住民票の写し of one of our residents it has just
identified, by the card checked with the national node or by an ID document and the 4情報
(QUERY_WIDE_AREA_COPY; the 交付履歴 records which). The node port hands the signed
request to this answerer (the CS never reads the registry: import-linter), which

* checks that the asker is another municipality and names itself as the issuing one;
* finds the requester among our current residents by the 住民票コード, and for part of a household
  checks that every member named is a current member of the holder's household (本人 or 同一世帯の者,
  住基法12条の4第1項); anyone else is "not entitled";
* issues the copy exactly as the counter does (``services.issue_wide_area_copy``): our seal, our
  certifier, our 発行番号, our 交付履歴 naming the asking municipality, one audit entry, in the query's
  transaction; any 抑止 or 支援措置 refuses it;
* answers the 広域交付住民票情報: the signed PDF, its digest and 発行番号s.

A request of kind ``removed_copy`` (住基法15条の4, 令和元年改正) asks for the requester's own
住民票の除票の写し instead: the 住民票コード finds the latest 除票 at this municipality (moved out,
died, …; ``certificate_sources.atena_number_of_removed_code``), whoever's current record it now is;
no 除票 with the code is ``certificates.wide_area_no_removed_record``. Everything else is as for the
住民票: the same fixed options, restrictions and records, with the kind in the 交付履歴.

A wide-area copy never prints 本籍・筆頭者 (12条の4第4項), a 個人番号 or history: the options are fixed
here, not taken from the request. A refusal is a DomainError the asker shows its clerk; the node's
``node:query:answer`` audit entry records its code, and nothing else changes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from jumin.certificates import services
from jumin.domain.certificates import (
    OVERFLOW_ALERT,
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    IdentityCheck,
    Layout,
    RequesterClass,
)
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import QUERY_WIDE_AREA_COPY
from jumin.jukinet.common.wide_area import encode_pdf, requested_kind
from jumin.messaging import conf
from jumin.messaging.envelope import Envelope
from jumin.registry import certificate_sources

MUNICIPALITY = "municipality"


def _not_entitled() -> DomainError:
    return refusal(
        "member_resident_codes",
        "請求者と同一の世帯に属する方ではないため、広域交付を請求できません。",
        "本人または同一世帯の方の写しだけを請求できます。記載する方を確認してください。",
        "certificates.wide_area_not_entitled",
    )


def _check_sender(envelope: Envelope) -> None:
    sender, payload = envelope.sender, envelope.payload
    if (
        sender.kind != MUNICIPALITY
        or sender.code == conf.local_node().ref.code
        or payload["issuing_municipality_code"] != sender.code
    ):
        raise refusal(
            "issuing_municipality_code",
            "広域交付の請求は、他の市区町村のCSから、その市区町村を交付地として送られたものに限ります。",
            "交付地の市区町村コードと照会元を確認してください。",
            "certificates.wide_area_sender",
        )


def _removed_subject(resident_code: str) -> tuple[str, tuple[str, ...]]:
    """The requester's own 除票 (15条の4: a 除票の写し is only for the person on it)."""
    holder = certificate_sources.atena_number_of_removed_code(resident_code)
    if holder is None:
        raise refusal(
            "requester_resident_code",
            "請求者の除票は当市区町村にありません。",
            "転出・死亡等の前の住所地（除票のある市区町村）を請求者に確かめ、その市区町村に請求してください。",
            "certificates.wide_area_no_removed_record",
        )
    return holder, (holder,)


def _subjects(payload: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(the card holder's 宛名番号, the 宛名番号 named for the copy); refuses a stranger or non-member."""
    if requested_kind(payload) is CertificateKind.REMOVED_COPY:
        return _removed_subject(payload["requester_resident_code"])
    holder = certificate_sources.atena_number_of_code(payload["requester_resident_code"])
    if holder is None:
        raise refusal(
            "requester_resident_code",
            "請求者は当市区町村の住民として記録されていません。",
            "カードの本人確認結果の住所地を確認し、その市区町村に請求してください。",
            "certificates.wide_area_not_registered",
        )
    if payload["scope"] != "members":
        return holder, (holder,)
    household = {p.atena_number for p in certificate_sources.household_of(holder)}
    named: list[str] = []
    for code in payload["member_resident_codes"]:
        member = certificate_sources.atena_number_of_code(code)
        if member is None or member not in household:
            raise _not_entitled()
        named.append(member)
    return holder, tuple(dict.fromkeys(named))


def answer_wide_area_request(envelope: Envelope) -> dict[str, Any]:
    """Answer QUERY_WIDE_AREA_COPY with the 広域交付住民票情報 (runs in the query's transaction): a
    住民票の写し, or the requester's 除票の写し when the request's ``kind`` asks for it."""
    _check_sender(envelope)
    payload = envelope.payload
    holder, named = _subjects(payload)
    relation = RequesterClass.SELF if holder in named else RequesterClass.SAME_HOUSEHOLD
    options = CertificateOptions(
        kind=requested_kind(payload),
        layout=Layout(payload["layout"]),
        atena_numbers=named,
        whole_household=payload["scope"] == "household",
        with_history=False,
        show_head_and_relationship=payload["show_head_and_relationship"],
        show_honseki=False,
        show_juminhyo_code=payload["show_juminhyo_code"],
        show_individual_number=False,
        copies=payload["copies"],
    )
    # The asking office's 本人確認 (the card, or an ID document with the 4情報) is the identity check;
    # an overflowing item is listed on the attached 文字超過リスト (standard 5.8-a), no decision here.
    request = CertificateRequest(
        requester_class=relation,
        identity_check=IdentityCheck(payload["identity_check"]),
        acknowledged_alerts=(OVERFLOW_ALERT,),
    )
    origin = services.WideAreaOrigin(
        municipality_code=envelope.sender.code,
        operator_id=payload["operator_id"],
        terminal_id=payload["terminal_id"],
    )
    issued = services.issue_wide_area_copy(origin=origin, request=request, options=options)
    return {**certificate_answer(issued), "requester_relation": relation.value}


def certificate_answer(issued: services.IssuedCertificate) -> dict[str, Any]:
    """What every remote issuance answers: the signed PDF (base64), its digest, 発行番号s, counts."""
    return {
        "pdf": encode_pdf(issued.pdf),
        "pdf_sha256": hashlib.sha256(issued.pdf).hexdigest(),
        "copy_numbers": list(issued.copy_numbers),
        "units": len(issued.copy_numbers),
        "sheets": issued.sheets,
        "subject_count": issued.subject_count,
    }


routing.answer(QUERY_WIDE_AREA_COPY, kind=MUNICIPALITY, answer=answer_wide_area_request)
