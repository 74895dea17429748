"""Measure how many probe messages per second delivery moves between two local nodes (not a test).

Usage: ``.venv/bin/python tools/bench_delivery.py [--messages N] [--subjects N] [--batch N] [--single]``

It creates a throwaway JUMIN_HOME with a SQLite database (or uses JUMIN_DATABASE_URL if set), two
nodes with one CA, serves the receiver's node port over mutual TLS in a thread, queues the probes in the
sender's outbox and times delivery rounds until every probe has a receipt. Prints one line:
``DELIVERED n IN s SECONDS = r MESSAGES/S (batch b)``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--single", action="store_true", help="receiver without /node/inbox/batch: one POST per message"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="jumin-bench-"))
    os.environ["JUMIN_HOME"] = str(home)
    os.environ.setdefault("JUMIN_DEMO", "1")
    os.environ["JUMIN_MESSAGING_BATCH"] = str(args.batch)
    os.environ.setdefault("JUMIN_DATABASE_URL", f"sqlite:///{home}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

    import logging

    import django

    django.setup()
    logging.getLogger("jumin.messaging").setLevel(logging.WARNING)  # no line per request
    from django.core.management import call_command
    from django.db import transaction

    from jumin.messaging import node_app, services
    from jumin.messaging.delivery import deliver_due
    from jumin.messaging.envelope import NodeRef
    from jumin.messaging.identity import add_peer, create_ca, init_node, load_node, peer_entry
    from jumin.messaging.messages import PROBE
    from jumin.messaging.models import OutboxMessage
    from jumin.messaging.node_app import make_app
    from jumin.messaging.tls import server_context, start_server

    call_command("migrate", verbosity=0)
    if args.single:
        node_app.BATCH_PATH = "/node/no-batch"  # the sender falls back to /node/inbox, as for an old peer
    ca = create_ca(home / "ca")
    sender_ref, receiver_ref = NodeRef("municipality", "422029"), NodeRef("prefecture", "420000")
    init_node(home / "sender", sender_ref, ca_dir=ca)
    init_node(home / "receiver", receiver_ref, ca_dir=ca)
    add_peer(home / "receiver", peer_entry(load_node(home / "sender"), "https://127.0.0.1:1"))
    receiver = load_node(home / "receiver")
    server, _ = start_server(make_app(receiver), "127.0.0.1", 0, server_context(receiver.files))
    add_peer(home / "sender", peer_entry(receiver, f"https://127.0.0.1:{server.port}"))
    sender = load_node(home / "sender")

    with transaction.atomic():
        for number in range(args.messages):
            services.enqueue(
                message_type=PROBE,
                receiver=receiver_ref,
                subject=f"s{number % args.subjects}",
                payload={"note": "bench"},
                node=sender,
            )
    started = time.perf_counter()
    rounds = 0
    while OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists():
        report = deliver_due(sender)
        rounds += 1
        if report.unreachable or not report.delivered:
            print(f"STOPPED: a round delivered nothing ({report})", file=sys.stderr)
            break
    elapsed = time.perf_counter() - started
    delivered = OutboxMessage.objects.filter(status=OutboxMessage.Status.DELIVERED).count()
    server.shutdown()
    print(
        f"DELIVERED {delivered} IN {elapsed:.2f} SECONDS = {delivered / elapsed:.0f} MESSAGES/S "
        f"({'single' if args.single else 'batch'} {args.batch}, {rounds} rounds)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
