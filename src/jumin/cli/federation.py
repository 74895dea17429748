"""`jumin demo --federation` / `make demo`: a demo federation of four nodes on one machine.

One national node, the prefecture 長崎県 (420000) and two of its municipalities, 佐世保市 (422029) and
長崎市 (422011) (architecture.md §1). Each node lives in ``var/demo/<kind>-<code>/`` with its own
SQLite database, keys and audit log; one private federation CA (``var/demo/federation-ca``) issues
every node certificate. Links follow the 住基ネット: municipality ↔ prefecture ↔ national.

Each node runs as its own ``jumin serve`` child process. Set-up (migrations, masters, accounts,
synthetic residents) runs in a child process per node too, because one Python process can hold the
Django settings of one node only. A second run reuses everything and only rewrites ``peers.json``
with the current ports. Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import (
    add_peer,
    create_ca,
    ensure_consistency_key,
    init_node,
    install_consistency_key,
    load_node,
    peer_entry,
)
from jumin.settings.env import BASE_DIR_DEFAULT

if TYPE_CHECKING:
    from jumin.accounts.services import DemoAdmin

# Default size: the whole federation starts from scratch in well under 2 minutes on 2 cores (measured
# in docs/operations.md); later starts take seconds. Larger populations: --residents N.
DEFAULT_RESIDENTS = 300
START_TIMEOUT = 900.0  # seconds a child may take to set up (first run, busy machine) or to start
STOP_TIMEOUT = 30.0
PROBE_TIMEOUT = 60.0
READY_LINE = "停止: Ctrl-C"  # printed by `jumin serve` once both ports listen
HOST = "127.0.0.1"


@dataclass(frozen=True)
class FederationNode:
    """One node of the demo federation and the two loopback ports it listens on."""

    kind: str
    code: str
    label: str
    clerk_port: int
    node_port: int

    @property
    def ref(self) -> NodeRef:
        return NodeRef(self.kind, self.code)

    @property
    def url(self) -> str:
        """The node-port URL its peers call."""
        return f"https://{HOST}:{self.node_port}"

    def home(self, root: Path) -> Path:
        """``JUMIN_HOME`` of the node: its database, keys (``var/``) and logs."""
        return root / f"{self.kind}-{self.code}"

    def node_dir(self, root: Path) -> Path:
        return self.home(root) / "var" / "node"

    def environment(self, root: Path) -> dict[str, str]:
        """The child's environment: this node's settings, nothing inherited from another node."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUMIN_", "DJANGO_"))}
        home = self.home(root)
        env.update(
            JUMIN_DEMO="1",
            JUMIN_HOME=str(home),
            JUMIN_NODE_KIND=self.kind,
            JUMIN_NODE_CODE=self.code,
            JUMIN_DATABASE_URL=f"sqlite:///{home / 'jumin.sqlite3'}",
            JUMIN_NODE_LISTEN=f"{HOST}:{self.node_port}",
            PYTHONUNBUFFERED="1",
        )
        return env


# (kind, code, label), in port order: 佐世保市 keeps the single-node demo's first clerk port (8000).
MEMBERS = (
    ("municipality", "422029", "佐世保市"),
    ("municipality", "422011", "長崎市"),
    ("prefecture", "420000", "長崎県"),
    ("national", "00", "全国（J-LIS）"),
)
# Peer links (both directions): each municipality with its prefecture and with the national node
# (本人確認 with the card, F12), the two municipalities with each other (広域交付 CS to CS, F11b), and
# the prefecture with the national node.
LINKS = (("municipality:422029", "prefecture:420000"), ("municipality:422011", "prefecture:420000"),
         ("prefecture:420000", "national:00"),
         ("municipality:422029", "national:00"), ("municipality:422011", "national:00"),
         ("municipality:422029", "municipality:422011"))  # fmt: skip


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports the system reports free right now (for tests and --port 0)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def plan(
    port: int, node_port: int, members: Sequence[tuple[str, str, str]] = MEMBERS
) -> list[FederationNode]:
    """The nodes (default: the demo's four) with consecutive clerk and node ports (0: free ports)."""
    count = len(members)
    clerk = free_ports(count) if port == 0 else [port + i for i in range(count)]
    nodes = free_ports(count) if node_port == 0 else [node_port + i for i in range(count)]
    return [
        FederationNode(kind, code, label, clerk[i], nodes[i]) for i, (kind, code, label) in enumerate(members)
    ]


def peers_of(
    node: FederationNode, members: Sequence[FederationNode], links: Sequence[tuple[str, str]] = LINKS
) -> list[FederationNode]:
    """The members ``node`` is linked with (``links``, both directions; default: the demo's LINKS)."""
    by_name = {str(member.ref): member for member in members}
    me = str(node.ref)
    return [by_name[b if a == me else a] for a, b in links if me in (a, b)]


def prepare_identities(
    root: Path, members: Sequence[FederationNode], links: Sequence[tuple[str, str]] = LINKS
) -> None:
    """The federation CA and each node's keys (created once), then peers.json with the current ports.

    A demo from before the 整合性確認 key gets it now: created in the CA directory and copied to each
    node (digests stored before then must be rebuilt, docs/operations.md).
    """
    ca = root / "federation-ca"
    if not (ca / "ca-cert.pem").exists():
        create_ca(ca, name="Jumin demo federation CA")
    ensure_consistency_key(ca)
    for member in members:
        if not (member.node_dir(root) / "node.json").exists():
            init_node(member.node_dir(root), member.ref, ca_dir=ca, hosts=[HOST])
        else:
            install_consistency_key(ca, member.node_dir(root))
    identities = {str(m.ref): load_node(m.node_dir(root)) for m in members}
    for member in members:
        for peer in peers_of(member, members, links):
            # add_peer replaces an existing entry, so a second run with other ports stays consistent.
            add_peer(member.node_dir(root), peer_entry(identities[str(peer.ref)], peer.url))


def _jumin(*args: str) -> list[str]:
    return [sys.executable, "-m", "jumin.cli", *args]


def _run_children(
    commands: dict[FederationNode, list[str]], root: Path, timeout: float
) -> dict[FederationNode, subprocess.CompletedProcess[str]]:
    """Run one short-lived command per node in parallel; collect their output."""
    results: dict[FederationNode, subprocess.CompletedProcess[str]] = {}

    def run(member: FederationNode, command: list[str]) -> None:
        try:
            results[member] = subprocess.run(  # noqa: S603 (our own CLI, fixed arguments)
                command, env=member.environment(root), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            results[member] = subprocess.CompletedProcess(command, 124, "", "時間切れ")

    threads = [threading.Thread(target=run, args=item) for item in commands.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@dataclass
class Child:
    """A running `jumin serve` of one node and its log file."""

    member: FederationNode
    process: subprocess.Popen[bytes]
    log: Path

    def ready(self) -> bool:
        return READY_LINE in self.log.read_text(encoding="utf-8", errors="replace")


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the federation process dies, even by SIGKILL, so no server leaks."""
    # Not Linux: no prctl; Ctrl-C and SIGTERM still stop every child through stop_all().
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_node(member: FederationNode, root: Path, *, web: bool = True, interval: float = 0.5) -> Child:
    """Start `jumin serve` for one node in its own session, so Ctrl-C reaches it only through us.

    ``web=False``: node port and delivery worker only (the benchmark federation needs no clerk site).
    """
    log = member.home(root) / "serve.log"
    command = _jumin("serve", "--host", HOST, "--port", str(member.clerk_port), "--interval", str(interval))
    if not web:
        command.append("--no-web")
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
            command,
            env=member.environment(root),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Child(member, process, log)


def wait_ready(children: Sequence[Child], timeout: float, stop: threading.Event) -> Child | None:
    """Wait until every child listens (or a stop is asked); returns the first that exited or timed out."""
    deadline = time.monotonic() + timeout
    pending = list(children)
    while pending and not stop.is_set():
        for child in list(pending):
            if child.ready():
                pending.remove(child)
            elif child.process.poll() is not None or time.monotonic() > deadline:
                return child
        time.sleep(0.2)
    return None


def stop_all(children: Sequence[Child]) -> list[int | None]:
    """SIGTERM every child (`jumin serve` stops cleanly on it), wait, then SIGKILL what is left."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    codes: list[int | None] = []
    for child in children:
        try:
            codes.append(child.process.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
            codes.append(None)
    return codes


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _print_summary(members: Sequence[FederationNode], setups: dict[FederationNode, str], root: Path) -> None:
    print()
    print("Jumin デモ連合（長崎県）: 4ノードが起動しました（すべて架空のデータです）。")
    for member in members:
        print()
        print(f"■ {member.label}（{member.ref}）")
        print(f"  職員用画面: http://{HOST}:{member.clerk_port}/   連携監視: /messaging/monitor/")
        print(f"  ノード間連携（相互TLS）: {member.url}/node/inbox")
        print(f"  連携先: {', '.join(f'{p.label}（{p.ref}）' for p in peers_of(member, members))}")
        print(f"  データ: {member.home(root)}（ログ: serve.log）")
        for line in setups[member].splitlines():
            print(f"  {line}")


def _probe(children: Sequence[Child], root: Path) -> bool:
    commands = {c.member: _jumin("node", "probe", "--timeout", str(PROBE_TIMEOUT)) for c in children}
    results = _run_children(commands, root, PROBE_TIMEOUT + 60)
    print()
    print("疎通確認（node.probe、相互TLS・署名付き）:")
    ok = True
    for child in children:
        result = results[child.member]
        ok = ok and result.returncode == 0
        for line in (result.stdout + result.stderr).splitlines():
            if line.startswith(("PROBE", "NG")):
                print(f"  {child.member.ref} → {line.removeprefix('PROBE ')}")
    return ok


def run(*, port: int = 8000, node_port: int = 8440, residents: int = DEFAULT_RESIDENTS) -> int:
    """Set up (first run) and start the demo federation; block until Ctrl-C or SIGTERM, then stop it."""
    root = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT)).resolve() / "var" / "demo"
    members = plan(port, node_port)
    for member in members:
        member.home(root).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    prepare_identities(root, members)
    print("各ノードを準備しています（初回はマイグレーション・マスタ・合成住民の登録に時間がかかります）…")
    setup_commands = {
        m: [sys.executable, "-m", "jumin.cli.federation", "setup", "--residents", str(residents)]
        for m in members
    }
    setups = _run_children(setup_commands, root, START_TIMEOUT)
    for member, result in setups.items():
        if result.returncode != 0:
            print(f"NG: {member.label}（{member.ref}）の準備に失敗しました。", file=sys.stderr)
            print((result.stdout + result.stderr)[-4000:], file=sys.stderr)
            return 1

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[Child] = []
    try:
        children = [start_node(member, root) for member in members]
        failed = wait_ready(children, START_TIMEOUT, stop)
        if stop.is_set():
            return 0
        if failed is not None:
            print(f"NG: {failed.member.label}（{failed.member.ref}）が起動しませんでした。", file=sys.stderr)
            print(_tail(failed.log), file=sys.stderr)
            return 1
        probes_ok = _probe(children, root)
        _print_summary(members, {m: r.stdout for m, r in setups.items()}, root)
        print()
        print(f"起動まで {time.monotonic() - started:.0f} 秒。停止: Ctrl-C", flush=True)
        if not probes_ok:
            print("注意: 疎通確認に失敗したリンクがあります。連携監視と serve.log を確認してください。")
        while not stop.wait(1.0):
            gone = next((c for c in children if c.process.poll() is not None), None)
            if gone is not None:
                print(f"NG: {gone.member.label} のプロセスが終了しました。", file=sys.stderr)
                print(_tail(gone.log), file=sys.stderr)
                return 1
        return 0
    finally:
        print("停止しています…", flush=True)
        codes = stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        clean = all(code == 0 for code in codes)
        print("停止しました。" if clean else f"停止しました（終了コード: {codes}）。", flush=True)


# --- set-up of one node, run as a child process with that node's environment -----------------------


def _print_admin(admin: DemoAdmin | None) -> None:
    if admin is None:
        print("職員ID admin: パスワードは初回に表示済み（jumin demo --federation は再発行しません）")
        return
    print(f"職員ID admin  パスワード: {admin.password}   ← 一度だけの表示です。控えてください。")
    print(f"  TOTP秘密鍵: {admin.totp_secret}")
    print(f"  端末登録: 端末ID {admin.terminal_id}  登録コード {admin.terminal_code}")


MONITOR_CLERK = ("kanshi", "監視 一郎", "DEMO-N01", "network_monitor")


def setup_node(residents: int) -> int:
    """Migrate, load masters (municipalities), create the accounts and residents once; print accounts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    from jumin.accounts.models import User
    from jumin.accounts.services import ensure_demo_admin
    from jumin.cli import demo_data
    from jumin.cli.demo_staff import provision_staff

    call_command("migrate", verbosity=0, interactive=False)
    municipality = settings.JUMIN_NODE_KIND == "municipality"
    if municipality:
        from jumin.masters.selectors import masters_loaded

        if not masters_loaded():
            call_command("load_masters", stdout=io.StringIO())  # its per-table summary is noise here
    admin = ensure_demo_admin()
    clerks = []
    if municipality:
        seeded = demo_data.seed_residents(settings.JUMIN_NODE_CODE, residents)
        demo_data.ensure_code_pool()
        if admin is not None:
            clerks = demo_data.ensure_demo_clerks()
        if seeded:
            print(f"合成住民: {seeded:,}人を登録しました。")
    username, name, number, duty = MONITOR_CLERK
    if not User.objects.filter(username=username).exists():
        admin_user = User.objects.get(username="admin")
        clerks.append(
            provision_staff(admin=admin_user, username=username, name=name, staff_number=number, duty=duty)
        )
    if municipality:
        _load_cs_file()
    _print_admin(admin)
    for clerk in clerks:
        print(
            f"職員ID {clerk.user.username}（{clerk.user.display_name}）パスワード: {clerk.password}"
            f"  TOTP秘密鍵: {clerk.totp_secret}"
        )
    return 0


BATCH_OPERATOR = ("batch", "バッチ 運用", "DEMO-B01", "registry_batch")


def _load_cs_file() -> None:
    """Build the CS file from the registry and queue its notices to 長崎県 (the 初期ロード), once.

    Only while the CS file holds nobody: on a later start the CS file already follows every commit
    (``cs_link.forward_committed``), so a restart loads and queues nothing; the running
    ``jumin serve`` carries the first load's notices on to the prefecture and the national node.
    """
    from jumin.accounts.models import User
    from jumin.cli.demo_staff import provision_staff
    from jumin.jukinet.cs.services import identity_count
    from jumin.registry.cs_link import load_all

    if identity_count():
        return
    username, name, number, duty = BATCH_OPERATOR
    operator = User.objects.filter(username=username).first()
    if operator is None:
        admin_user = User.objects.get(username="admin")
        operator = provision_staff(
            admin=admin_user, username=username, name=name, staff_number=number, duty=duty
        ).user
    taken, unlinked = load_all(actor=operator, purpose=duty, notify=True)
    print(f"CS本人確認情報: {taken:,}件（CS未連携 {unlinked:,}件）。")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jumin.cli.federation setup``: the per-node set-up step (internal to the federation)."""
    parser = argparse.ArgumentParser(prog="jumin.cli.federation")
    sub = parser.add_subparsers(dest="action", required=True)
    setup = sub.add_parser("setup", help="set up the node named by JUMIN_NODE_KIND/JUMIN_NODE_CODE")
    setup.add_argument("--residents", type=int, default=DEFAULT_RESIDENTS)
    args = parser.parse_args(argv)
    return setup_node(args.residents)


if __name__ == "__main__":
    sys.exit(main())
