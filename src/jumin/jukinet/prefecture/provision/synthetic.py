"""Synthetic prefecture records for tests and the P10 benchmark (never real people; no fixtures on disk).

Rows are written in bulk through the prefecture store's own models (jukinet_prefecture.IdentityRecord
and IdentityVersion), with the 個人番号 encrypted and indexed as the store does.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from jumin.accounts import clock
from jumin.crypto.individual_number import seal_with_index
from jumin.crypto.keys import get_keyring
from jumin.domain.checkdigits import JuminhyoCodeRule, check_digit_for
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion

SURNAMES = (
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
)
GIVEN = (("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("健", "ケン"))
MUNICIPALITY = "422029"
ADDRESS = "佐賀県佐賀市城内一丁目"


def resident_code(serial: int) -> str:
    """A valid 住民票コード (the federation's candidate check-digit rule) for a serial number."""
    base = f"{serial:010d}"
    return base + check_digit_for("juminhyo", base, juminhyo_rule=JuminhyoCodeRule.M11W27_CANDIDATE)


def individual_number(serial: int) -> str:
    """A valid 個人番号 for a serial number."""
    base = f"{serial:011d}"
    return base + check_digit_for("mynumber", base)


@dataclass(frozen=True)
class Person:
    """What a synthetic record holds, for building condition rows that find it."""

    resident_code: str
    individual_number: str
    name: str
    name_kana: str
    birth_date: str
    sex: str
    address: str


def person(serial: int) -> Person:
    """The synthetic person number ``serial`` (deterministic)."""
    surname, given = SURNAMES[serial % len(SURNAMES)], GIVEN[(serial // len(SURNAMES)) % len(GIVEN)]
    # Names cycle every 25 serials, birth dates every 28,999 (coprime with 25): (name, birth date) is
    # unique over any 724,975 consecutive serials while names alone repeat.
    birth = date(1940, 1, 1) + timedelta(days=serial * 7919 % 28999)
    return Person(
        resident_code=resident_code(10_000_000 + serial),
        individual_number=individual_number(50_000_000_000 + serial),
        name=f"{surname[0]}　{given[0]}",
        name_kana=f"{surname[1]}　{given[1]}",
        birth_date=birth.strftime("%Y%m%d"),
        sex="male" if serial % 2 else "female",
        address=f"{ADDRESS}{serial % 50 + 1}番{serial % 997 + 1}号",
    )


def _notice(p: Person, *, reason: str, change_date: str, seq: int) -> dict[str, object]:
    return {
        "resident_code": p.resident_code,
        "name": p.name,
        "name_gaiji_count": 0,
        "name_kana": p.name_kana,
        "name_kana_seion": p.name_kana,
        "birth_date": p.birth_date,
        "sex": p.sex,
        "municipality_code": MUNICIPALITY,
        "aza_code": "",
        "address": p.address,
        "address_gaiji_count": 0,
        "change_reason": reason,
        "change_date": change_date,
        "former_surname": "",
        "former_surname_gaiji_count": 0,
        "former_surname_kana": "",
        "gaiji_flag": False,
        "operator_id": "synthetic",
        "terminal_id": "synthetic",
        "timestamp": "2020-01-01T00:00:00Z",
        "update_seq": seq,
        "removed": False,
    }


def make_records(
    serials: range | list[int], *, with_history: bool = False, batch: int = 2000
) -> list[Person]:
    """Write the synthetic people as current prefecture records (and, if asked, one version each)."""
    keyring = get_keyring()
    now = clock.now()
    people = [person(serial) for serial in serials]
    records = []
    for p in people:
        notice = _notice(
            p, reason="出生", change_date=f"{p.birth_date[:4]}-{p.birth_date[4:6]}-{p.birth_date[6:]}", seq=1
        )
        encrypted, index = seal_with_index(
            p.individual_number, purpose="jukinet_prefecture.identity", keyring=keyring
        )
        records.append(
            IdentityRecord(
                individual_number=encrypted.token,
                individual_number_index=index,
                resident_code=p.resident_code,
                municipality_code=MUNICIPALITY,
                update_seq=1,
                name_key=name_key(p.name),
                kana_key=kana_key(p.name_kana),
                birth_date=p.birth_date,
                sex=p.sex,
                address=p.address,
                change_reason="出生",
                notice=notice,
                consistency_digest="0" * 22,
                received_at=now,
                received_on=now.date(),
                sender_code=MUNICIPALITY,
            )
        )
    created = IdentityRecord.objects.bulk_create(records, batch_size=batch)
    if with_history:
        versions = []
        for p, record in zip(people, created, strict=True):
            encrypted, index = seal_with_index(
                p.individual_number, purpose="jukinet_prefecture.version", keyring=keyring
            )
            versions.append(
                IdentityVersion(
                    individual_number=encrypted.token,
                    individual_number_index=index,
                    record=IdentityRecord.objects.get(resident_code=p.resident_code)
                    if record.pk is None
                    else record,
                    resident_code=p.resident_code,
                    municipality_code=MUNICIPALITY,
                    update_seq=1,
                    change_reason="出生",
                    notice=record.notice,
                    consistency_digest="0" * 22,
                    message_id=uuid.uuid4(),
                    sender_code=MUNICIPALITY,
                    received_at=now,
                )
            )
        IdentityVersion.objects.bulk_create(versions, batch_size=batch)
    return people


def shuffled(items: list[Person], seed: int = 7) -> list[Person]:
    """A reproducible shuffle (for mixing condition rows)."""
    copy = list(items)
    random.Random(seed).shuffle(copy)  # noqa: S311 (synthetic test data, not security)
    return copy
