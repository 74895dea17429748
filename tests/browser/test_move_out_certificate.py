"""The 転出証明書 in the flow, in a real browser and by keyboard (standard 4.1.3.0.3-a): the counter clerk
enters a 転出, the reviewer commits it, and the commit's result issues the certificate as a PDF download,
recorded in the 交付履歴 with the committed change."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import MUNICIPALITY, DemoNode, log_in

pytestmark = pytest.mark.browser

COUNTER = "住民記録窓口事務"
REVIEW = "住民記録審査事務"
CERTIFICATE = "証明書交付事務"

# Run in the demo node's environment: the reviewer also gets the 証明書交付事務 duty, through the real
# grant services (applied by the admin, approved by the second administrator), as the demo gives its own.
_GRANT = """
import django
django.setup()
from jumin.accounts import clock
from jumin.accounts.grants import apply_for_grant, decide_grant_application
from jumin.accounts.models import User
from jumin.cli.demo_staff import SETUP_PURPOSE, _approver
today = clock.today()
application = apply_for_grant(
    actor=User.objects.get(username="admin"),
    grantee_id=User.objects.get(username="shinsa").pk,
    duty="certificate",
    starts_on=today,
    ends_on=clock.fiscal_year_end(today),
    purpose=SETUP_PURPOSE,
)
decide_grant_application(
    actor=_approver("demo-it-head"), application_id=application.pk, approve=True, purpose=SETUP_PURPOSE
)
"""


def _grant_certificate_duty_to_the_reviewer(node: DemoNode) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUMIN_", "DJANGO_"))}
    env |= {
        "JUMIN_HOME": str(node.database.parents[2]),
        "JUMIN_DEMO": "1",
        "JUMIN_NODE_KIND": "municipality",
        "JUMIN_NODE_CODE": MUNICIPALITY,
        "JUMIN_DATABASE_URL": f"sqlite:///{node.database}",
        "DJANGO_SETTINGS_MODULE": "jumin.settings.base",
    }
    done = subprocess.run(
        [sys.executable, "-c", _GRANT], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _a_resident_living_alone(node: DemoNode) -> str:
    """The 宛名番号 of a current resident who is the only current member of the household."""
    with sqlite3.connect(node.database) as db:
        row = db.execute(
            """SELECT r.atena_number FROM registry_resident r
               JOIN registry_residentsnapshot s ON s.id = r.current_id
               WHERE s.status = 'resident' AND (
                 SELECT COUNT(*) FROM registry_resident r2
                 JOIN registry_residentsnapshot s2 ON s2.id = r2.current_id
                 WHERE s2.household_id = s.household_id AND s2.status IN ('resident', 'planned_move_out')
               ) = 1
               ORDER BY r.id DESC LIMIT 1"""
        ).fetchone()
    assert row is not None, "the demo node has no resident living alone"
    return str(row[0])


def test_the_reviewer_commits_a_move_out_and_issues_its_certificate_from_the_result_by_keyboard(
    demo_node: DemoNode, browser_contexts: tuple[BrowserContext, BrowserContext]
) -> None:
    _grant_certificate_duty_to_the_reviewer(demo_node)
    mover = _a_resident_living_alone(demo_node)
    clerk_context, reviewer_context = browser_contexts
    page = clerk_context.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/move-out/")
    page.locator("#id_purpose").select_option(label=COUNTER)
    page.locator("#id_atena_numbers").fill(mover)
    page.locator("#id_planned_date").fill(date.today().isoformat())
    page.locator("#id_destination").fill("福岡県福岡市中央区天神1丁目1番1号")
    with page.expect_navigation():
        page.get_by_role("button", name="仮登録").press("Enter")
    change_id = re.search(r"異動番号 (\d+)", page.inner_text("main")).group(1)  # type: ignore[union-attr]

    review = reviewer_context.new_page()
    log_in(review, demo_node, demo_node.reviewer)
    review.goto(demo_node.base_url + f"/registry/drafts/{change_id}/")
    review.locator("#id_purpose").select_option(label=REVIEW)
    with review.expect_navigation():
        review.get_by_role("button", name="本登録").press("Enter")
    expect(review.get_by_role("status")).to_contain_text("本登録しました")
    section = review.get_by_role("region", name="転出証明書の交付")
    expect(section).to_be_visible()
    # The commit's duty does not cover issuing: the clerk's certificate duty is preselected.
    expect(section.get_by_label("利用目的（事務）")).to_have_value("certificate")
    expect(section.get_by_label("証明書", exact=True)).to_have_value("move_out")
    identity = section.get_by_label("本人確認の方法")
    identity.focus()
    review.keyboard.press("ArrowDown")
    expect(identity).to_have_value("mynumber_card")
    with review.expect_download() as download:
        section.get_by_role("button", name="証明書を交付（PDF）").press("Enter")
    assert re.fullmatch(r"certificate-\d+\.pdf", download.value.suggested_filename)

    with sqlite3.connect(demo_node.database) as db:
        issued = db.execute(
            "SELECT kind, at_commit_change, user_name FROM certificates_issuance ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert issued == ("move_out", int(change_id), "審査 太郎")
