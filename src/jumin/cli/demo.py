"""`jumin demo` / `make demo`: one municipality node on SQLite, ready to log in to."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jumin.settings.env import BASE_DIR_DEFAULT


def run(
    *, municipality: str, port: int, serve: bool, reset_admin_password: bool = False, residents: int = 2000
) -> int:
    """Migrate, load masters (first run only), create the admin once, then serve on 127.0.0.1.

    Idempotent: a second run skips what is already in place and starts in seconds.
    """
    from jumin.domain.checkdigits import validate_lgcode
    from jumin.domain.errors import DomainError

    try:
        code = validate_lgcode(municipality, field="municipality")
    except DomainError as error:
        print(f"NG: {error.reason}{error.remedy}", file=sys.stderr)
        return 2

    demo_dir = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT)) / "var" / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    os.environ["JUMIN_DEMO"] = "1"
    os.environ["JUMIN_NODE_KIND"] = "municipality"
    os.environ["JUMIN_NODE_CODE"] = code
    os.environ.setdefault("JUMIN_DATABASE_URL", f"sqlite:///{demo_dir / f'municipality-{code}.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")

    import django
    from django.core.management import call_command

    django.setup()
    from jumin.accounts.services import ensure_demo_admin
    from jumin.masters.selectors import masters_loaded, municipality_by_code

    call_command("migrate", verbosity=0, interactive=False)
    if not masters_loaded():
        print("マスタを読み込んでいます（初回のみ）…")
        call_command("load_masters")
    town = municipality_by_code(code)
    if town is None:
        print(
            f"NG: 団体コード {code} の市区町村がマスタにありません。コードを確認してください。",
            file=sys.stderr,
        )
        return 2

    admin = ensure_demo_admin(reset_password=reset_admin_password)
    from jumin.cli import demo_data

    seeded = demo_data.seed_residents(code, residents)
    demo_data.ensure_code_pool()
    clerks = demo_data.ensure_demo_clerks() if admin else []
    print()
    print(f"Jumin デモ: {town.name}（{code}）の市区町村ノード")
    print(f"  URL:      http://127.0.0.1:{port}/")
    print("  職員ID:   admin")
    if admin:
        print(f"  パスワード: {admin.password}   ← この表示は一度だけです。控えてください。")
        print(f"  認証アプリ（TOTP）の秘密鍵: {admin.totp_secret}")
        print(f"  otpauth URI: {admin.totp_uri}")
        print(
            f"  端末登録: ブラウザで最初に表示される端末登録画面に 端末ID {admin.terminal_id}"
            f" と 登録コード {admin.terminal_code} を入力"
        )
        print(
            "  （第二認証のコードは認証アプリ、または"
            f" python -c \"import pyotp; print(pyotp.TOTP('{admin.totp_secret}').now())\" で得られます）"
        )
    else:
        print("  パスワード: 初回に表示済み（再発行: make demo ARGS=--reset-admin-password）")
    for clerk in clerks:
        print(
            f"  職員ID:   {clerk.user.username}（{clerk.user.display_name}）パスワード: {clerk.password}"
            f"  TOTP秘密鍵: {clerk.totp_secret}"
        )
    if seeded:
        print(f"  合成住民: {seeded:,}人を登録しました（すべて架空のデータです）。")
    print()
    if serve:
        # Django's development server is enough for a one-machine demo; `jumin serve` (issue 7)
        # runs nodes with TLS. --insecure serves static files with DEBUG off. The task worker runs
        # the background jobs (EUC extractions) as `jumin serve` does; it dies with the process.
        import threading

        from jumin import task_worker

        threading.Thread(target=task_worker.run_worker, args=(threading.Event(),), daemon=True).start()
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
    return 0
