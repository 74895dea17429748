"""The certifier master (standard 1.3.7-a, 1.3.9-a, 5.6-a): register certifiers and pick one by date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates import conf
from jumin.certificates.models import Certifier
from jumin.certificates.seals import check_seal, synthetic_seal
from jumin.domain.certificates import CertifierPeriod, CertifierRole, certifier_on
from jumin.domain.errors import refusal
from jumin.masters.selectors import municipality_by_code


@dataclass(frozen=True)
class CertifierEntry:
    """What a certifier registration needs (the seal as PNG bytes, black, ≤ 25 mm)."""

    role: CertifierRole
    prefecture_name: str
    municipality_name: str
    title: str
    name: str
    valid_from: date
    valid_to: date | None
    seal_png: bytes
    seal_size_mm: Decimal = Decimal("21")


def _check(entry: CertifierEntry) -> None:
    for field, value in (
        ("prefecture_name", entry.prefecture_name),
        ("municipality_name", entry.municipality_name),
        ("title", entry.title),
        ("name", entry.name),
    ):
        if not value.strip():
            # 1.3.9-c (X): no certifier without a name; 5.6-c (X): the prefecture name is never dropped.
            raise refusal(
                field,
                "認証者の都道府県名・市区町村名・職名・氏名は省略できません。",
                "入力してください。",
                "certificates.certifier_incomplete",
            )
    if entry.valid_to is not None and entry.valid_to < entry.valid_from:
        raise refusal(
            "valid_to",
            "終了日が開始日より前です。",
            "期間を直してください。",
            "certificates.certifier_period",
        )
    check_seal(entry.seal_png, entry.seal_size_mm)


def register_certifier(*, actor: Any, purpose: str, entry: CertifierEntry) -> int:
    """Register a mayor or acting officer with their period and seal; audited (controls.md C-49)."""
    authorize(
        actor=actor,
        permission=Permission.MASTERS_EDIT,
        action=AuditAction.CERTIFICATE_CERTIFIER_REGISTER,
        purpose=purpose,
        subject_type="certifier",
    )
    _check(entry)
    with transaction.atomic():
        certifier = _create(entry, registered_by=actor)
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_CERTIFIER_REGISTER,
            subject_type="certifier",
            subject_id=str(certifier.pk),
            purpose=purpose,
        )
    return certifier.pk


def _create(entry: CertifierEntry, *, registered_by: Any = None) -> Certifier:
    return Certifier.objects.create(
        role=entry.role.value,
        prefecture_name=entry.prefecture_name.strip(),
        municipality_name=entry.municipality_name.strip(),
        title=entry.title.strip(),
        name=entry.name.strip(),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        seal_png=entry.seal_png,
        seal_size_mm=entry.seal_size_mm,
        registered_by=registered_by,
    )


def certifier_for(day: date) -> Certifier:
    """The certifier of ``day``: the acting officer over their registered period, else the mayor (1.3.9-a).

    A demo node with no certifier at all gets a fictitious mayor with a synthetic seal.
    """
    rows = list(Certifier.objects.all())
    if not rows and conf.demo_mode():
        rows = [_demo_certifier_for_node()]
    key = certifier_on(
        (
            CertifierPeriod(
                key=c.pk, role=CertifierRole(c.role), valid_from=c.valid_from, valid_to=c.valid_to
            )
            for c in rows
        ),
        day,
    )
    return next(c for c in rows if c.pk == key)


def ensure_demo_certifier(*, prefecture_name: str, municipality_name: str) -> Certifier:
    """Demo and test nodes: a fictitious mayor with a synthetic seal, registered once."""
    existing = Certifier.objects.filter(role=CertifierRole.MAYOR.value).order_by("pk").first()
    if existing is not None:
        return existing
    return _create(
        CertifierEntry(
            role=CertifierRole.MAYOR,
            prefecture_name=prefecture_name,
            municipality_name=municipality_name,
            title=f"{municipality_name}長",
            name="見本　太郎",
            valid_from=date(2000, 1, 1),
            valid_to=None,
            seal_png=synthetic_seal(f"{municipality_name}長之印"),
        )
    )


def _demo_certifier_for_node() -> Certifier:
    municipality = municipality_by_code(settings.JUMIN_NODE_CODE)
    if municipality is None:
        return ensure_demo_certifier(prefecture_name="見本県", municipality_name="見本市")
    return ensure_demo_certifier(
        prefecture_name=municipality.prefecture.name, municipality_name=municipality.name
    )
