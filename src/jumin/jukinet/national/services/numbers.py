"""住民票コード issuance and 個人番号 generation (N3) at the national node.

住民票コード: 10 random digits (``secrets``) and the federation's check digit; every code issued or
seen in a notice is in ``ResidentCode``, so none is issued twice.

個人番号: HMAC-SHA256 under the node's own derived key (jumin.crypto.derived) over the 住民票コード
and a counter, reduced to 11 digits, plus the 番号法 check digit. The function is one-way, so the
number reveals nothing of the code; a collision with any number ever issued or seen (abolished ones
included) moves on to the next counter value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jumin.audit.actions import AuditAction
from jumin.crypto.derived import INDIVIDUAL_NUMBER_GENERATION, derived_key
from jumin.crypto.keyring import Keyring
from jumin.crypto.keys import get_keyring
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.checkdigits import check_digit_for, mynumber_check_digit
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.national.models import IndividualNumberRegister, ResidentCode
from jumin.jukinet.national.services._common import audit, national_refusal
from jumin.messaging.envelope import Envelope

_NUMBER_LABEL = b"jumin:individual_number:generate:v1"
_MAX_COUNTER = 10_000  # unreachable in practice: 10^11 numbers against ~10^8 people


def new_resident_code() -> str:
    """A random 住民票コード: 10 random digits and the check digit (not yet reserved)."""
    base = f"{secrets.randbelow(10**10):010d}"
    return base + check_digit_for("juminhyo", base, juminhyo_rule=RESIDENT_CODE_RULE)


def issue_resident_codes(count: int, *, municipality_code: str) -> list[str]:
    """Reserve ``count`` fresh 住民票コード for ``municipality_code``; never one issued or seen before."""
    now = timezone.now()
    codes: list[str] = []
    while len(codes) < count:
        wanted = {new_resident_code() for _ in range(count - len(codes))}
        taken = set(ResidentCode.objects.filter(code__in=wanted).values_list("code", flat=True))
        fresh = sorted(wanted - taken - set(codes))
        ResidentCode.objects.bulk_create(
            ResidentCode(
                code=code,
                municipality_code=municipality_code,
                source=ResidentCode.Source.ISSUED,
                issued_at=now,
            )
            for code in fresh
        )
        codes.extend(fresh)
    return codes


def answer_resident_codes(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_RESIDENT_CODES: only a municipality (its CS) may ask, for itself."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    if envelope.sender.kind != "municipality":
        raise national_refusal(
            "sender",
            "住民票コードは市町村CSにだけ払い出します。",
            "市町村CSから要求してください。",
            "sender_not_municipality",
        )
    codes = issue_resident_codes(payload["count"], municipality_code=envelope.sender.code)
    audit(
        AuditAction.NATIONAL_RESIDENT_CODE_ISSUE,
        subject_type="resident_code_pool",
        subject_id=str(envelope.sender),
        reason=f"{len(codes)} codes to {envelope.sender} operator {payload['operator_id']}",
        terminal_id=payload["terminal_id"],
        result_count=len(codes),
    )
    return {"codes": codes}


@sensitive_variables()
def candidate_number(key: bytes, resident_code: str, counter: int) -> str:
    """The 個人番号 derived from ``resident_code`` and ``counter`` under ``key`` (12 digits)."""
    message = b"\x00".join((_NUMBER_LABEL, resident_code.encode("ascii"), str(counter).encode("ascii")))
    digest = hmac.new(key, message, hashlib.sha256).digest()
    base = f"{int.from_bytes(digest, 'big') % 10**11:011d}"
    return base + mynumber_check_digit(base)


#: The generation key of the keyring it was derived from (HKDF once per keyring, not per number).
_generation_key: tuple[Keyring, bytes] | None = None


def _number_key() -> bytes:
    """The node's 個人番号 generation key, derived again only when the keyring object changes."""
    global _generation_key
    keyring = get_keyring()
    cached = _generation_key
    if cached is None or cached[0] is not keyring:
        cached = _generation_key = (keyring, derived_key(INDIVIDUAL_NUMBER_GENERATION))
    return cached[1]


@sensitive_variables()
def _generate(resident_code: str) -> IndividualNumberRegister:
    key = _number_key()
    last = IndividualNumberRegister.objects.filter(resident_code=resident_code).aggregate(top=Max("counter"))[
        "top"
    ]
    counter = (last or 0) + 1
    while counter < _MAX_COUNTER:
        number = candidate_number(key, resident_code, counter)
        if not filter_by_individual_number(IndividualNumberRegister.objects.all(), number).exists():
            row = IndividualNumberRegister(
                resident_code=resident_code,
                counter=counter,
                status=IndividualNumberRegister.Status.CURRENT,
                source=IndividualNumberRegister.Source.ISSUED,
                issued_at=timezone.now(),
            )
            row.set_individual_number(number)
            row.save()
            return row
        counter += 1
    raise RuntimeError("no free 個人番号 for this 住民票コード")  # pragma: no cover - 10^11 space


@sensitive_variables()
def individual_number_for(resident_code: str, *, change: bool) -> tuple[IndividualNumberRegister, bool]:
    """The current 個人番号 row of ``resident_code`` (issued now if none); with ``change``, a new one.

    Returns (row, issued_now). The old number of a change is marked abolished and never reissued.
    The 住民票コード must have been issued by this node or seen in a notice.
    """
    if not ResidentCode.objects.filter(code=resident_code).exists():
        raise national_refusal(
            "resident_code",
            "払い出していない住民票コードです。",
            "住民票コードを確認してください。",
            "unknown_resident_code",
        )
    current = (
        IndividualNumberRegister.objects.select_for_update()
        .filter(resident_code=resident_code, status=IndividualNumberRegister.Status.CURRENT)
        .first()
    )
    if current is not None and not change:
        return current, False
    if current is not None:
        current.status, current.abolished_at = IndividualNumberRegister.Status.ABOLISHED, timezone.now()
        current.save(update_fields=["status", "abolished_at"])
    return _generate(resident_code), True


def answer_individual_number(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_INDIVIDUAL_NUMBER (個人番号 生成要求 / 変更要求) from a CS."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    if envelope.sender.kind != "municipality":
        raise national_refusal(
            "sender",
            "個人番号の生成要求は市町村CSからだけ受け付けます。",
            "市町村CSから要求してください。",
            "sender_not_municipality",
        )
    row, issued = individual_number_for(payload["resident_code"], change=payload["change"])
    audit(
        AuditAction.NATIONAL_INDIVIDUAL_NUMBER_ISSUE,
        subject_type="individual_number_register",
        subject_id=str(row.pk),
        reason=(
            f"{'issued' if issued else 'repeated'} change {payload['change']} to {envelope.sender} "
            f"operator {payload['operator_id']}"
        ),
        terminal_id=payload["terminal_id"],
        individual_number_used=True,
        concerning_code=payload["resident_code"],
    )
    return {"individual_number": row.get_individual_number() or ""}
