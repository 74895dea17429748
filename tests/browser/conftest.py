"""Browser tests: Debian's Chromium, headless, driven by Playwright against a running demo node.

The node is set up and served exactly as ``make demo`` does it (``jumin demo``), in its own process, on its
own SQLite database under a temporary JUMIN_HOME, with synthetic residents only. The tests therefore need no
test database; they run in the SQLite pass of ``make test`` and are skipped in the PostgreSQL pass, which
would drive the very same SQLite node again.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The flags the machine's Chromium needs headless as root and on a closed network (no background fetches).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_RESIDENTS = "40"
MUNICIPALITY = "422029"


@dataclass
class Account:
    """A demo account as ``jumin demo`` printed it, and the last TOTP code it used."""

    username: str
    password: str
    totp_secret: str
    last_code: str = ""

    def next_code(self) -> str:
        """A TOTP code this account has not used yet (a used code is refused as a replay)."""
        totp = pyotp.TOTP(self.totp_secret)
        code = totp.now()
        while code == self.last_code:
            time.sleep(1)
            code = totp.now()
        self.last_code = code
        return code


@dataclass
class DemoNode:
    """The running demo node: where it listens, its database and the accounts it printed."""

    base_url: str
    database: Path
    admin: Account
    clerk: Account
    reviewer: Account
    support_officer: Account
    terminal_id: str
    terminal_code: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the demo node stopped while starting:\n{log.read_text()[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the demo node did not listen on port {port}:\n{log.read_text()[-2000:]}")


def _accounts(printed: str) -> tuple[Account, dict[str, Account], str, str]:
    """Read the accounts and the terminal registration code from ``jumin demo``'s first output."""
    admin_password = re.search(r"パスワード: (\S+)\s+←", printed)
    admin_totp = re.search(r"認証アプリ（TOTP）の秘密鍵: (\S+)", printed)
    terminal = re.search(r"端末ID (\S+) と 登録コード (\S+) を入力", printed)
    clerks = {
        name: Account(name, password, secret)
        for name, password, secret in re.findall(
            r"職員ID:\s+(\S+)（.+?）パスワード: (\S+)\s+TOTP秘密鍵: (\S+)", printed
        )
    }
    assert admin_password, printed
    assert admin_totp, printed
    assert terminal, printed
    admin = Account("admin", admin_password.group(1), admin_totp.group(1))
    return admin, clerks, terminal.group(1), terminal.group(2)


@pytest.fixture(scope="session")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoNode]:
    """Set up a demo node as ``make demo`` does, serve it on a free port, stop it at the end."""
    if os.environ.get("JUMIN_DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "browser tests drive a demo node on the embedded default (SQLite); run in the SQLite pass"
        )
    home = tmp_path_factory.mktemp("demo-node")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUMIN_", "DJANGO_"))}
    env["JUMIN_HOME"] = str(home)
    command = [sys.executable, "-m", "jumin.cli", "demo", "--residents", DEMO_RESIDENTS, "--port", str(port)]
    setup = subprocess.run(
        [*command, "--no-serve"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert setup.returncode == 0, setup.stderr
    admin, clerks, terminal_id, terminal_code = _accounts(setup.stdout)
    log = home / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server, log)
        yield DemoNode(
            base_url=f"http://127.0.0.1:{port}",
            database=home / "var" / "demo" / f"municipality-{MUNICIPALITY}.sqlite3",
            admin=admin,
            clerk=clerks["madoguchi"],
            reviewer=clerks["shinsa"],
            support_officer=clerks["shien"],
            terminal_id=terminal_id,
            terminal_code=terminal_code,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (not Playwright's bundled browser: only what the repo installs)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def registered_terminal(
    demo_node: DemoNode, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Register this browser as terminal DEMO-01 once (the code works once) and keep its cookie."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo_node.base_url + "/")
    page.get_by_role("link", name="端末登録").click()
    page.get_by_label("端末ID").fill(demo_node.terminal_id)
    page.get_by_label("登録コード").fill(demo_node.terminal_code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login/"), page.url
    state = tmp_path_factory.mktemp("terminal") / "state.json"
    context.storage_state(path=str(state))
    context.close()
    return state


@pytest.fixture
def terminal(browser: Browser, registered_terminal: Path) -> Iterator[BrowserContext]:
    """A fresh browser context (no session) on the registered terminal."""
    context = browser.new_context(storage_state=str(registered_terminal), locale="ja-JP")
    yield context
    context.close()


def log_in(page: Page, node: DemoNode, account: Account) -> None:
    """Log in with password and TOTP using the keyboard only, as a clerk would."""
    page.goto(node.base_url + "/login/")
    page.locator("#id_username").focus()  # autofocus, but typing may start before the browser applies it
    page.keyboard.type(account.username)
    page.keyboard.press("Tab")
    page.keyboard.type(account.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login/verify/"), page.inner_text("main")
    page.locator("#id_code").focus()
    page.keyboard.type(account.next_code())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert not page.url.endswith("/login/verify/"), page.inner_text("main")


def a_current_resident(node: DemoNode, *, nth: int = 0) -> dict[str, str]:
    """The ``nth`` committed, current synthetic resident of the demo node, read from its database."""
    with sqlite3.connect(node.database) as db:
        row = db.execute(
            """SELECT s.surname, s.given_name, s.surname_kana, s.given_name_kana, s.birth_sort_date,
                      r.atena_number
               FROM registry_resident r JOIN registry_residentsnapshot s ON s.id = r.current_id
               WHERE s.status = 'resident' AND s.given_name_kana <> '' ORDER BY r.id LIMIT 1 OFFSET ?""",
            (nth,),
        ).fetchone()
    assert row is not None, "the demo node has no current resident"
    keys = ("surname", "given_name", "surname_kana", "given_name_kana", "birth_date", "atena_number")
    return dict(zip(keys, (str(value) for value in row), strict=True))


@pytest.fixture
def browser_contexts(
    browser: Browser, registered_terminal: Path
) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """Two independent sessions on the registered terminal (e.g. the clerk and the reviewer)."""
    contexts = tuple(
        browser.new_context(storage_state=str(registered_terminal), locale="ja-JP") for _ in range(2)
    )
    yield contexts[0], contexts[1]
    for context in contexts:
        context.close()
