"""The `jumin` operator command.

Pure commands (codes, wareki) run without Django, so they work before a node is configured.
Node commands (demo, manage, audit, bench) start Django with the node's settings.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from jumin.cli import pure


def _django_setup(settings_module: str = "jumin.settings.base") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def _cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jumin manage", *args.rest])
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.federation:  # four nodes, each a `jumin serve` child (docs/operations.md)
        from jumin.cli import federation

        residents = federation.DEFAULT_RESIDENTS if args.residents is None else args.residents
        return federation.run(port=args.port, node_port=args.node_port, residents=residents)
    from jumin.cli import demo

    return demo.run(
        municipality=args.municipality,
        port=args.port,
        serve=not args.no_serve,
        reset_admin_password=args.reset_admin_password,
        residents=2000 if args.residents is None else args.residents,
    )


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    _django_setup()
    from jumin.audit.selectors import verify_chain

    verdict = verify_chain()
    if verdict.intact:
        print(f"OK {verdict.entries}")
        return 0
    print(
        f"監査ログの連鎖が壊れています: 連番 {verdict.first_broken_seq} ({verdict.problem})", file=sys.stderr
    )
    print(f"BROKEN {verdict.first_broken_seq}")
    return 1


def _cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    _django_setup()
    from jumin.audit.services import write_checkpoint_now

    checkpoint = write_checkpoint_now()
    print("UNCHANGED" if checkpoint is None else f"SIGNED {checkpoint.seq}")
    return 0


def _cmd_audit_retention(args: argparse.Namespace) -> int:
    _django_setup()
    from jumin.audit.retention import retention_report

    report = retention_report()
    print(
        f"retention {report.years} years, cutoff {report.cutoff.isoformat()}: "
        f"{report.entries_past} entries past (seq {report.first_seq}–{report.last_seq}); "
        f"an archive would move seq ≤ {report.archive_through_seq} ({report.archive_entries} entries)"
    )
    return 0


def _cmd_audit_checkpoints(args: argparse.Namespace) -> int:
    _django_setup()
    from jumin.audit.selectors import export_checkpoints

    for line in export_checkpoints():
        print(line)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from jumin.cli import bench

    try:
        figures = bench.select_figures(args.only)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return bench.run(residents=args.residents, json_path=args.json, only=",".join(sorted(figures)))


def _cmd_seed(args: argparse.Namespace) -> int:
    from jumin.cli import seed

    return seed.run(residents=args.residents, municipality=args.municipality, seed=args.seed, out=args.out)


def build_parser() -> argparse.ArgumentParser:
    """The command tree; `jumin --help` lists it."""
    parser = argparse.ArgumentParser(prog="jumin", description="Jumin 住民記録システム operator command")
    sub = parser.add_subparsers(dest="command", required=True)

    codes = sub.add_parser("codes", help="番号の検査 (check digits)").add_subparsers(
        dest="action", required=True
    )
    check = codes.add_parser("check", help="validate a number: exit 0 and OK, or exit 1 and the reason")
    check.add_argument("kind", choices=pure.CODE_KINDS)
    check.add_argument("value")
    check.set_defaults(func=pure.cmd_codes_check)
    digit = codes.add_parser("checkdigit", help="print the check digit for a base number")
    digit.add_argument("kind", choices=pure.CODE_KINDS)
    digit.add_argument("base")
    digit.set_defaults(func=pure.cmd_codes_checkdigit)

    wareki_cmds = sub.add_parser("wareki", help="和暦と西暦の変換").add_subparsers(
        dest="action", required=True
    )
    to_s = wareki_cmds.add_parser("to-seireki", help="和暦 → ISO date (or a 不詳 value as JSON)")
    to_s.add_argument("text")
    to_s.set_defaults(func=pure.cmd_wareki_to_seireki)
    from_s = wareki_cmds.add_parser("from-seireki", help="ISO date → every valid 和暦 form, one per line")
    from_s.add_argument("date")
    from_s.set_defaults(func=pure.cmd_wareki_from_seireki)

    demo_cmd = sub.add_parser("demo", help="set up and run a demo municipality node on SQLite")
    demo_cmd.add_argument("--municipality", default="422029", help="全国地方公共団体コード (6 digits)")
    demo_cmd.add_argument("--port", type=int, default=8000)
    demo_cmd.add_argument("--no-serve", action="store_true", help="set up only; do not start the server")
    demo_cmd.add_argument(
        "--residents", type=int, default=None, help="synthetic residents seeded on first run (2000; 300 each)"
    )
    demo_cmd.add_argument(
        "--federation", action="store_true", help="national, 長崎県 and two municipalities (ports --port…+3)"
    )
    demo_cmd.add_argument("--node-port", type=int, default=8440, help="with --federation: first node port")
    demo_cmd.add_argument(
        "--reset-admin-password", action="store_true", help="issue and print a new admin password"
    )
    demo_cmd.set_defaults(func=_cmd_demo)

    manage = sub.add_parser("manage", help="Django management commands for this node")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=_cmd_manage)

    audit = sub.add_parser("audit", help="監査ログ").add_subparsers(dest="action", required=True)
    verify = audit.add_parser(
        "verify", help="recompute the hash chain: exit 0 and the count, or 1 and the seq"
    )
    verify.set_defaults(func=_cmd_audit_verify)
    audit.add_parser("checkpoint", help="sign the chain head now (run daily)").set_defaults(
        func=_cmd_audit_checkpoint
    )
    audit.add_parser(
        "checkpoints", help="print every signed checkpoint as JSON lines, for the separate store"
    ).set_defaults(func=_cmd_audit_checkpoints)
    audit.add_parser(
        "retention", help="report the entries past the retention period (nothing is deleted)"
    ).set_defaults(func=_cmd_audit_retention)

    bench_cmd = sub.add_parser("bench", help="measure performance.md figures and print one JSON object")
    bench_cmd.add_argument("--residents", type=int, default=1000)
    bench_cmd.add_argument("--json", default=None, help="also write the JSON to this file")
    bench_cmd.add_argument(
        "--only", default=None, help="measure only these figures, comma-separated (e.g. P7,P8,P9)"
    )
    bench_cmd.set_defaults(func=_cmd_bench)

    seed_cmd = sub.add_parser("seed", help="write a synthetic population in the import layout (JSON Lines)")
    seed_cmd.add_argument("--residents", type=int, required=True, help="living residents (除票 come on top)")
    seed_cmd.add_argument("--municipality", required=True, help="全国地方公共団体コード (6 digits)")
    seed_cmd.add_argument("--seed", type=int, default=0)
    seed_cmd.add_argument("--out", default=None, help="output file (default: standard output)")
    seed_cmd.set_defaults(func=_cmd_seed)

    from jumin.cli import node as node_cli  # node keys, `serve` and `deliver` (docs/network.md)

    node_cli.add_parsers(sub)

    from jumin.cli import certificates as certificates_cli  # `certificates verify FILE`

    certificates_cli.add_parsers(sub)

    from jumin.cli import cs as cs_cli  # `cs send-pending|consistency|issue-card|load|fetch-codes`

    cs_cli.add_parsers(sub)

    from jumin.cli import atena as atena_cli  # `atena sync`

    atena_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jumin` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
