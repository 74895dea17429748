"""`jumin node …`, `jumin serve`, `jumin deliver` and `jumin tasks-worker`: a node's identity, its servers,
its delivery worker and its background task worker.

`jumin node ca` and `jumin node init` need no Django (they only write key files); the others
start Django with the node's settings (JUMIN_NODE_KIND, JUMIN_NODE_CODE, JUMIN_DATABASE_URL, …).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from jumin import runtime
from jumin.domain.errors import DomainError
from jumin.messaging.envelope import NODE_KINDS, EnvelopeRefused, NodeRef
from jumin.messaging.identity import (
    IdentityError,
    add_peer,
    create_ca,
    ensure_consistency_key,
    init_node,
    load_node,
    peer_entry,
)


def _default_node_dir() -> Path:
    from jumin.settings.env import BASE_DIR_DEFAULT

    home = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT))
    return home / os.environ.get("JUMIN_NODE_DIR", "var/node")


def cmd_ca(args: argparse.Namespace) -> int:
    """Create a private federation CA and the federation's 整合性確認 key (demo and tests)."""
    try:
        create_ca(Path(args.dir), name=args.name)
    except IdentityError as error:
        print(f"NG: {error}", file=sys.stderr)
        return 1
    print(f"OK {Path(args.dir) / 'ca-cert.pem'}")
    print(f"整合性確認鍵: {Path(args.dir) / 'consistency-key'}（全ノードに同じものを置きます）")
    return 0


def cmd_consistency_key(args: argparse.Namespace) -> int:
    """Create the federation's 整合性確認 key in a CA directory made before the key existed."""
    try:
        path = ensure_consistency_key(Path(args.dir))
    except IdentityError as error:
        print(f"NG: {error}", file=sys.stderr)
        return 1
    print(f"OK {path}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create this node's signing key, TLS key and certificate (or CSR)."""
    try:
        ref = NodeRef(kind=args.kind or os.environ.get("JUMIN_NODE_KIND", "municipality"),
                      code=args.code or os.environ.get("JUMIN_NODE_CODE", "422029"))  # fmt: skip
    except EnvelopeRefused:
        print(
            "NG: ノードの種別（municipality/prefecture/national）とコード（数字）を確認してください。",
            file=sys.stderr,
        )
        return 2
    directory = Path(args.dir) if args.dir else _default_node_dir()
    try:
        files = init_node(directory, ref, ca_dir=Path(args.ca) if args.ca else None, hosts=args.host or None)
    except IdentityError as error:
        print(f"NG: {error}", file=sys.stderr)
        return 1
    print(f"OK {ref} {directory}")
    if not args.ca:
        print(
            f"証明書署名要求: {files.tls_csr}"
            "（連合のCAに発行を依頼し、tls-cert.pem と ca-cert.pem、整合性確認鍵 consistency-key（0600）を"
            "置いてください）"
        )
    return 0


def cmd_peer_entry(args: argparse.Namespace) -> int:
    """Print this node as a peers.json entry, for the other nodes' operators."""
    try:
        node = load_node(Path(args.dir) if args.dir else _default_node_dir())
    except IdentityError as error:
        print(f"NG: {error}", file=sys.stderr)
        return 1
    print(json.dumps(peer_entry(node, args.url), ensure_ascii=False, indent=2))
    return 0


def cmd_add_peer(args: argparse.Namespace) -> int:
    """Add (or replace) a peer from an entry file written by `jumin node peer-entry`."""
    try:
        entry = json.loads(Path(args.entry).read_text(encoding="utf-8"))
        peer = add_peer(Path(args.dir) if args.dir else _default_node_dir(), entry)
    except (IdentityError, OSError, ValueError) as error:
        print(f"NG: {error}", file=sys.stderr)
        return 1
    print(f"OK {peer.ref} {peer.url}")
    return 0


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django

    django.setup()


def cmd_deliver(args: argparse.Namespace) -> int:
    """Run the delivery worker: once, until the outbox is empty, or until interrupted."""
    _django_setup()
    from jumin.messaging import tasks

    if args.once:
        report = tasks.run_round()
        print(
            f"DELIVERED {report.delivered} POISONED {report.poisoned} UNREACHABLE {len(report.unreachable)}"
        )
        return 0
    if args.until_empty:
        left = tasks.deliver_until_empty(timeout=args.timeout, interval=args.interval)
        print(f"PENDING {left}")
        return 0 if left == 0 else 1
    return _run_until_stopped(tasks.run_worker, interval=args.interval)


def _run_until_stopped(worker: Callable[..., None], *, interval: float) -> int:
    """Run a worker loop until Ctrl-C or SIGTERM; the worker finishes what it is doing first."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker(stop, interval=interval)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_tasks_worker(args: argparse.Namespace) -> int:
    """Run the background task worker (EUC extractions …): the jobs ready now, or until SIGTERM."""
    _django_setup()
    from jumin import task_worker

    if args.once:
        task_worker.run_start_checks()
        print(f"RAN {task_worker.run_ready()}")
        return 0
    return _run_until_stopped(task_worker.run_worker, interval=args.interval)


def cmd_probe(args: argparse.Namespace) -> int:
    """Send a ``node.probe`` to peers through the outbox and print each receipt (exit 1 if one failed)."""
    try:
        peers = [NodeRef.parse(text) for text in args.peer] if args.peer else None
    except EnvelopeRefused:
        print("NG: --peer は 種別:コード（例 prefecture:420000）で指定してください。", file=sys.stderr)
        return 2
    _django_setup()
    from jumin.messaging.probe import probe_peers

    try:
        results = probe_peers(peers, timeout=args.timeout)
    except DomainError as error:
        print(f"NG: {error.reason}{error.remedy}", file=sys.stderr)
        return 2
    for result in results:
        verdict = "OK" if result.ok else "NG"
        print(f"PROBE {result.peer} {verdict} {result.outcome} {result.seconds:.2f}s", flush=True)
    return 0 if all(result.ok for result in results) else 1


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # Paths only, never query strings: clerk searches must not reach the log (controls.md).
        sys.stderr.write(f"{self.address_string()} {self.command} {self.path.split('?', 1)[0]}\n")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def cmd_serve(args: argparse.Namespace) -> int:
    """Run one node: the node port (mutual TLS), the delivery and task workers and the clerk site."""
    _django_setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    from jumin import task_worker
    from jumin.messaging import conf, services, tasks
    from jumin.messaging.node_app import make_app
    from jumin.messaging.tls import server_context, start_server

    try:
        node = conf.local_node()
        context = server_context(node.files)
    except (IdentityError, OSError) as error:
        print(f"NG: ノードの鍵・証明書を読めません: {error}", file=sys.stderr)
        return 1

    def handshake_refused(address: tuple[str, int], reason: str) -> None:
        try:
            services.refuse_connection(address[0], reason)
        finally:
            close_old_connections()

    # What is loaded by now (modules, settings, the app registry, URL patterns) lives as long as the
    # process (about a third of the CPU per message at the prefecture, docs/benchmarks.md "What limits P5").
    runtime.freeze_long_lived()
    host, port = conf.node_listen()
    node_server, _ = start_server(make_app(conf.local_node), host, port, context, handshake_refused)
    stop = threading.Event()
    worker = None
    if not args.no_worker:
        worker = threading.Thread(
            target=tasks.run_worker, args=(stop,), kwargs={"interval": args.interval}, daemon=True
        )
        worker.start()
    # Background jobs (EUC extractions) run here, so a clerk's request only queues them (10.1-c).
    jobs = None
    if not args.no_task_worker:
        jobs = threading.Thread(
            target=task_worker.run_worker, args=(stop,), kwargs={"interval": args.interval}, daemon=True
        )
        jobs.start()
    web = None
    if not args.no_web:
        from django.conf import settings
        from django.contrib.staticfiles.handlers import StaticFilesHandler

        # Demo mode serves static files itself; production serves them from the proxy (collectstatic).
        site = get_wsgi_application()
        if settings.JUMIN_DEMO:
            site = StaticFilesHandler(site)
        web = make_server(args.host, args.port, site, _ThreadingWSGIServer, _QuietHandler)
    print(f"Jumin ノード {node.ref}")
    print(f"  ノード間連携（相互TLS）: https://{host}:{node_server.port}/node/inbox")
    if web is not None:
        print(f"  職員用画面: http://{args.host}:{web.server_port}/   連携監視: /messaging/monitor/")
    print("  停止: Ctrl-C", flush=True)

    def shutdown(*_: object) -> None:
        stop.set()
        if web is not None:
            threading.Thread(target=web.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    try:
        if web is not None:
            web.serve_forever()
        else:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        node_server.shutdown()
        node_server.server_close()
        if web is not None:
            web.server_close()
        for thread in (worker, jobs):
            if thread is not None:
                thread.join(timeout=30)
    print("停止しました。")
    return 0


def add_parsers(sub: Any) -> None:
    """Register `node`, `serve` and `deliver` on the `jumin` command tree."""
    node = sub.add_parser("node", help="ノードの鍵・証明書・連携先").add_subparsers(
        dest="action", required=True
    )
    ca = node.add_parser("ca", help="create a private federation CA (demo and tests)")
    ca.add_argument("dir")
    ca.add_argument("--name", default="Jumin demo federation CA")
    ca.set_defaults(func=cmd_ca)
    key = node.add_parser(
        "consistency-key", help="create the federation's 整合性確認 key in a CA directory that lacks one"
    )
    key.add_argument("dir")
    key.set_defaults(func=cmd_consistency_key)
    init = node.add_parser("init", help="create this node's signing key, TLS key and certificate")
    init.add_argument("--kind", choices=NODE_KINDS, default=None)
    init.add_argument("--code", default=None, help="全国地方公共団体コード (default: JUMIN_NODE_CODE)")
    init.add_argument("--dir", default=None, help="node directory (default: JUMIN_NODE_DIR or var/node)")
    init.add_argument(
        "--ca", default=None, help="CA directory to issue the certificate now; without: write a CSR"
    )
    init.add_argument("--host", action="append", help="host name or IP in the certificate (repeatable)")
    init.set_defaults(func=cmd_init)
    entry = node.add_parser("peer-entry", help="print this node as a peers.json entry")
    entry.add_argument("--url", required=True, help="this node's node-port URL, e.g. https://127.0.0.1:8443")
    entry.add_argument("--dir", default=None)
    entry.set_defaults(func=cmd_peer_entry)
    add = node.add_parser("add-peer", help="add or replace a peer from a peer-entry file")
    add.add_argument("entry")
    add.add_argument("--dir", default=None)
    add.set_defaults(func=cmd_add_peer)

    probe = node.add_parser("probe", help="send node.probe to peers and print each receipt (疎通確認)")
    probe.add_argument("--peer", action="append", help="kind:code (repeatable; default: every peer)")
    probe.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the receipts")
    probe.set_defaults(func=cmd_probe)

    serve = sub.add_parser("serve", help="run this node: node port (mutual TLS), delivery worker, clerk site")
    serve.add_argument("--host", default="127.0.0.1", help="clerk site address")
    serve.add_argument("--port", type=int, default=8000, help="clerk site port")
    serve.add_argument("--no-web", action="store_true", help="node port and worker only")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not deliver (another process runs `jumin deliver`)"
    )
    serve.add_argument(
        "--no-task-worker",
        action="store_true",
        help="do not run background jobs (another process runs `jumin tasks-worker`)",
    )
    serve.add_argument("--interval", type=float, default=1.0, help="seconds between worker rounds")
    serve.set_defaults(func=cmd_serve)

    deliver = sub.add_parser("deliver", help="run the delivery worker of this node")
    deliver.add_argument("--once", action="store_true", help="one round, then exit")
    deliver.add_argument("--until-empty", action="store_true", help="rounds until nothing is pending")
    deliver.add_argument(
        "--timeout", type=float, default=60.0, help="with --until-empty: give up after seconds"
    )
    deliver.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
    deliver.set_defaults(func=cmd_deliver)

    jobs = sub.add_parser("tasks-worker", help="run the background task worker (EUC extractions)")
    jobs.add_argument("--once", action="store_true", help="run the jobs ready now, then exit")
    jobs.add_argument("--interval", type=float, default=1.0, help="seconds between looks when idle")
    jobs.set_defaults(func=cmd_tasks_worker)
