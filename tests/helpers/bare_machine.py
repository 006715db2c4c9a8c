"""Runs bin/demo as on a machine with nothing but Python, and reports what happened as JSON.

Run inside a fresh network and mount namespace (`unshare -mn`, tests/test_demo.py): its
loopback has nothing listening, the system PostgreSQL's socket directory is covered and the
server commands (pg_ctlcluster, redis-server, ...) are /dev/null. The login client runs here
too: the namespace's 127.0.0.1 is reachable only from inside it.

    python bare_machine.py VAR_DIR ctrl-c|sigterm [--wait-for-beat]

Starts bin/demo with LEAKCASE_VAR_DIR=VAR_DIR on a free port, logs in as the demo survivor,
optionally waits until the worker has run a task beat sent, then stops bin/demo with Ctrl-C
(SIGINT to its process group, as a terminal sends it) or SIGTERM to bin/demo alone, and
reports every process it had started that is still running.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMANDS = (
    "pg_ctlcluster",
    "pg_ctl",
    "pg_isready",
    "postgres",
    "redis-server",
    "redis-cli",
)
SYSTEM_SOCKET_DIRS = ("/run/postgresql", "/var/run/postgresql", "/run/redis", "/var/run/redis")
# The worker's line for a task that only beat sends, run to its end.
BEAT_TASK_DONE = re.compile(r"Task monitoring\.tasks\.dispatch_rechecks\[[^]]+\] succeeded")
SURVIVOR = ("survivor@demo.leakcase.test", "demo-password-2026")


def make_the_machine_bare():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hidden = []
    for command in SERVER_COMMANDS:
        path = shutil.which(command)
        if path:
            subprocess.run(["mount", "--bind", "/dev/null", path], check=True)
            hidden.append(command)
    for directory in SYSTEM_SOCKET_DIRS:
        if os.path.isdir(directory) and not os.path.islink(directory):
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", directory], check=True)
    return hidden


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoginForm(HTMLParser):
    """The fields of the page's form that has a password field: hidden ones with values."""

    def __init__(self):
        super().__init__()
        self._fields, self._has_password, self.fields = {}, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._fields, self._has_password = {}, False
        elif tag == "input":
            if attrs.get("type") == "password":
                self._has_password = True
            elif attrs.get("type") == "hidden":
                self._fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self._has_password and self.fields is None:
            self.fields = self._fields


def log_in(base):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login_url = base + "/accounts/login/"
    form = LoginForm()
    form.feed(opener.open(login_url, timeout=30).read().decode())
    fields = {**form.fields, "login": SURVIVOR[0], "password": SURVIVOR[1]}
    request = urllib.request.Request(
        login_url, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": login_url}
    )
    with opener.open(request, timeout=30) as response:
        return {"url": response.url, "page": response.read().decode()}


def wait_until(predicate, seconds, demo):
    deadline = time.monotonic() + seconds
    while not predicate():
        if demo.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def still_running(pids):
    alive = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            # A zombie has exited; only its parent has yet to read its status (a
            # container's PID 1 may never do so for the orphaned server).
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append({"pid": pid, "command": " ".join(process.cmdline())})
        except psutil.NoSuchProcess:
            pass
    return alive


def main(var_dir, stop_with, wait_for_beat):
    report = {
        "hidden": make_the_machine_bare(),
        "system_servers_reachable": [port for port in (5432, 6379) if listening(port)],
        "system_sockets": [
            str(path)
            for d in SYSTEM_SOCKET_DIRS
            for path in Path(d).glob(".s.*")
            if path.is_socket()
        ],
    }
    # Signals as a terminal's shell hands them on: none ignored, none blocked. This process
    # inherits the test run's, and in the full suite SIGINT and SIGTERM could arrive here
    # ignored (the demo's server then never stopped, and bash cannot trap a signal ignored
    # when it starts): recorded, then reset, so bin/demo starts as a user's would.
    report["inherited_signals"] = {
        "ignored": signals_in_mask(os.getpid(), "SigIgn"),
        "blocked": sorted(int(n) for n in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    }
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    port = free_port()
    # A shell's environment on a bare machine: no server addresses, no Django settings
    # (pytest-django and the test settings put theirs in this process's environment).
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TERM") if key in os.environ}
    env.update(LEAKCASE_VAR_DIR=str(var_dir), LEAKCASE_PORT=str(port))
    output = open(var_dir.parent / f"demo-{stop_with}.out", "w")  # noqa: SIM115
    started, started_here = time.monotonic(), []
    demo = subprocess.Popen(
        ["bin/demo"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        run_and_stop(demo, port, var_dir, stop_with, wait_for_beat, report, started_here)
    except Exception:
        report["error"] = traceback.format_exc()
        # What had not stopped, and what the worker was doing: which process holds a stop.
        report["error"] += f"\nStill running: {still_running(started_here)}\n"
        worker_log = var_dir / "log" / "worker.log"
        if worker_log.exists():
            report["error"] += "worker.log, last lines:\n"
            report["error"] += "\n".join(worker_log.read_text().splitlines()[-40:]) + "\n"
    finally:
        # Whatever went wrong, nothing outlives the namespace's test.
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        for leftover in still_running(started_here):
            os.kill(leftover["pid"], signal.SIGKILL)
        if (var_dir / "postgres" / "postmaster.pid").exists():
            embedded = [sys.executable, "bin/_embedded_postgres.py", "stop", var_dir / "postgres"]
            subprocess.run(embedded, cwd=ROOT, check=False, stdout=sys.stderr)
        output.close()
    report["seconds"] = round(time.monotonic() - started, 1)
    report["output"] = (var_dir.parent / f"demo-{stop_with}.out").read_text()
    print(json.dumps(report))


def run_and_stop(demo, port, var_dir, stop_with, wait_for_beat, report, started_here):
    """Fills the report, and started_here with the processes bin/demo started."""
    begun = time.monotonic()
    report["web_up"] = wait_until(lambda: listening(port), 240, demo)
    report["seconds_to_web"] = round(time.monotonic() - begun, 1)
    if not report["web_up"]:
        return
    report["login"] = log_in(f"http://127.0.0.1:{port}")
    # Ready, its pool processes started: all of them are counted below.
    worker_log = var_dir / "log" / "worker.log"
    report["worker_ready"] = wait_until(lambda: " ready." in worker_log.read_text(), 60, demo)
    if wait_for_beat:
        report["beat_task_done"] = wait_until(
            lambda: BEAT_TASK_DONE.search(worker_log.read_text()), 90, demo
        )
    started = processes_started(demo.pid, var_dir)
    started_here += started
    report["started"] = list(started.values())
    # bin/demo's own children (web, worker, beat) each stop on Ctrl-C themselves: bash starts
    # background commands with it ignored, and a server left so waited for bash's own trap.
    report["ignoring_ctrl_c"] = [
        " ".join(child.cmdline())
        for child in psutil.Process(demo.pid).children()
        if ignores_ctrl_c(child.pid)
    ]
    postmaster = var_dir / "postgres" / "postmaster.pid"
    if stop_with == "ctrl-c":
        os.killpg(demo.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    else:
        demo.send_signal(signal.SIGTERM)
    report["exit_code"] = demo.wait(timeout=60)
    report["still_running"] = still_running(started)
    report["postmaster_pid_left"] = postmaster.exists()


def signals_in_mask(pid: int, field: str) -> list[int]:
    """The signals set in one of /proc/PID/status's masks (SigIgn, SigBlk: hex, bit n - 1
    for signal n)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            mask = int(line.split()[1], 16)
            return [n for n in range(1, 65) if mask >> (n - 1) & 1]
    return []


def ignores_ctrl_c(pid: int) -> bool:
    return signal.SIGINT in signals_in_mask(pid, "SigIgn")


def processes_started(demo_pid, var_dir):
    """bin/demo's children and theirs, and the PostgreSQL server with its own: {pid: command}."""
    processes = psutil.Process(demo_pid).children(recursive=True)
    server = psutil.Process(int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0]))
    processes += [server, *server.children()]
    started = {}
    for process in processes:
        # A short-lived one (an autovacuum worker, a session that closed) may be gone already.
        with contextlib.suppress(psutil.NoSuchProcess):
            started[process.pid] = " ".join(process.cmdline())
    return started


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], "--wait-for-beat" in sys.argv[3:])
