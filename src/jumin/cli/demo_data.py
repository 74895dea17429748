"""Demo content: synthetic residents, a 住民票コード pool and three clerks (maker, reviewer, 支援措置).

Everything here is synthetic (docs/import-layout.md); it runs only in demo mode, on first start.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from django.conf import settings

from jumin.accounts.models import User
from jumin.cli.demo_staff import ProvisionedStaff, provision_staff
from jumin.domain.checkdigits import check_digit_for
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.population import write_population
from jumin.registry import numbering
from jumin.registry.importer import import_population
from jumin.registry.models import JuminhyoCodePool, Resident, ResidentSnapshot

DEMO_CLERKS = (
    ("madoguchi", "窓口 花子", "DEMO-C01", "resident_counter"),
    ("shinsa", "審査 太郎", "DEMO-C02", "resident_review"),
    ("shien", "支援 次郎", "DEMO-C03", "support_measure"),
)
POOL_SIZE = 10_000


def _require_demo() -> None:
    if not settings.JUMIN_DEMO:
        raise RuntimeError("demo data is loaded only in demo mode")


def seed_residents(municipality: str, residents: int) -> int:
    """Load a synthetic population once (none if the node already has residents); returns how many."""
    _require_demo()
    if residents <= 0 or Resident.objects.exists():
        return 0
    admin = User.objects.get(username="admin")
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "population.jsonl"
        with path.open("w", encoding="utf-8") as out:
            write_population(out, residents, municipality, seed=1)
        result = import_population(path, actor=admin, purpose="demo-setup")
    return result.residents


def ensure_code_pool() -> int:
    """Fill an empty pool with random 住民票コード, none already assigned, with the federation's check
    digit (jukinet.common.notice.RESIDENT_CODE_RULE) so that the CS accepts them."""
    _require_demo()
    if JuminhyoCodePool.objects.filter(taken_at__isnull=True).exists():
        return 0
    used = set(ResidentSnapshot.objects.values_list("juminhyo_code", flat=True))
    used |= set(JuminhyoCodePool.objects.values_list("code", flat=True))
    codes: set[str] = set()
    while len(codes) < POOL_SIZE:
        base = f"{secrets.randbelow(10**10):010d}"
        code = base + check_digit_for("juminhyo", base, juminhyo_rule=RESIDENT_CODE_RULE)
        if code not in used:
            codes.add(code)
    return numbering.load_code_pool(sorted(codes))


def ensure_demo_clerks() -> list[ProvisionedStaff]:
    """The counter clerk (仮登録), the reviewer (本登録) and the 支援措置 officer, with real grants."""
    _require_demo()
    admin = User.objects.get(username="admin")
    return [
        provision_staff(admin=admin, username=username, name=name, staff_number=number, duty=duty)
        for username, name, number, duty in DEMO_CLERKS
        if not User.objects.filter(username=username).exists()
    ]
