#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster on a free loopback port.

    python tools/throwaway_postgres.py -- pytest -q

Creates a cluster in a temporary directory with initdb, starts it on 127.0.0.1 only, exports
JUMIN_DATABASE_URL for the command, then stops the cluster and removes the directory, whatever
the command's outcome. Runs the server as the `postgres` system user when invoked as root,
because PostgreSQL refuses to run as root. Exits with the command's exit code.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian layout), or PATH's."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    sys.exit("initdb not found: install PostgreSQL (make setup does it with apt-get)")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_server_user(command: list[str]) -> list[str]:
    """Prefix the command so it runs as `postgres` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield a postgresql:// URL to a fresh cluster; stop and delete it afterwards."""
    bin_dir = postgres_bin_dir()
    workdir = Path(tempfile.mkdtemp(prefix="jumin-pg-"))
    data_dir = workdir / "data"
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
    port = free_port()
    try:
        subprocess.run(
            as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data_dir),
                    "-o",
                    options,
                    "-l",
                    str(workdir / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/jumin"
    finally:
        if (data_dir / "postmaster.pid").exists():
            subprocess.run(
                as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    with throwaway_cluster() as url:
        # pytest-django creates test_jumin itself; the main database exists for commands that need it.
        env = {**os.environ, "JUMIN_DATABASE_URL": url}
        subprocess.run(
            as_server_user(
                [
                    str(postgres_bin_dir() / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    url.rsplit(":", 1)[1].split("/")[0],
                    "-U",
                    "postgres",
                    "jumin",
                ]
            ),
            check=True,
        )
        process = subprocess.Popen(command, env=env)

        def stop(signum: int, _frame: object) -> None:
            # A SIGTERM (a CI time limit, `timeout`) ends the command and, through the with block,
            # the cluster: otherwise both would outlive this process.
            process.terminate()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
