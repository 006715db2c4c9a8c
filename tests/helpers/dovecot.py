"""A real IMAP server for the tests: Debian's dovecot (package dovecot-imapd, which
bin/_services.sh installs for CI), started by the test session on 127.0.0.1 on a free port
with a throwaway configuration, mail in a temporary folder, and stopped by its process id.

One server for the session (it starts in well under a second, but the inbound tests APPEND
and poll dozens of messages); each test gets a mailbox user of its own, so tests never see
each other's mail. Any user name logs in with the one test password (a static passdb), and
its mail folder is made at its first login: a new user needs no file and no restart (a
passwd-file, a user added mid-session was sometimes refused at login).

What this configuration is and why (tried here, shared/TESTING.md "IMAP"):
- ssl = no and plaintext logins: only 127.0.0.1 listens, and the test talks IMAP in clear
  like MailBoxUnencrypted does in production when INBOUND_IMAP_SSL is off.
- imap-login refuses to run as root (these machines run the tests as root): it runs as
  dovenull, the mail processes as dovecot (a static userdb), and the mail folder belongs to
  dovecot.
- base_dir and state_dir in the temporary folder: nothing touches /run/dovecot or
  /var/lib/dovecot, so a system dovecot (if any) is left alone.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "test-only-imap-password"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = leakcase-test-{port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """One test's mailbox user on the session's server: what INBOUND_IMAP_* say."""

    host: str
    port: int
    user: str
    password: str

    @property
    def settings(self) -> dict:
        return {
            "INBOUND_IMAP_HOST": self.host,
            "INBOUND_IMAP_PORT": self.port,
            "INBOUND_IMAP_USER": self.user,
            "INBOUND_IMAP_PASSWORD": self.password,
            "INBOUND_IMAP_FOLDER": "INBOX",
            "INBOUND_IMAP_SSL": False,
        }

    def client(self):
        """A logged-in imap_tools client: for the test's own APPENDs and looks."""
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.host, self.port).login(self.user, self.password)

    def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        with self.client() as mailbox:
            for raw in raws:
                mailbox.append(raw, folder, flag_set=())

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[str]:
        with self.client() as mailbox:
            if not mailbox.folder.exists(folder):
                return []
            mailbox.folder.set(folder)
            return mailbox.uids(criteria)

    def sizes(self, folder: str) -> list[int]:
        """The sizes of the messages in `folder`, as the server holds them (RFC822.SIZE)."""
        with self.client() as mailbox:
            if not mailbox.folder.exists(folder):
                return []
            mailbox.folder.set(folder)
            return [msg.size_rfc822 for msg in mailbox.fetch(mark_seen=False, headers_only=True)]


class DovecotServer:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="leakcase-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        dovecot = pwd.getpwnam("dovecot")
        # dovenull and dovecot must reach the sockets and the mail: the folder is theirs to
        # read (mkdtemp makes it 0700 for root).
        os.chmod(self.root, 0o755)  # noqa: S103 (a test server's folder, nothing secret)
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir()
        os.chown(self.root / "mail", dovecot.pw_uid, dovecot.pw_gid)
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(root=self.root, port=self.port, password=PASSWORD)
        )
        # -F: in the foreground, so the PID we hold is dovecot's master and stopping it
        # stops its children (imap-login, imap, auth).
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "dovecot.log").read_text() if self.exists_log() else ""
                self.stop()
                raise RuntimeError(f"dovecot did not start:\n{log[-2000:]}")
            time.sleep(0.05)

    def exists_log(self) -> bool:
        return (self.root / "dovecot.log").exists()

    def new_mailbox(self) -> Mailbox:
        user = f"inbound-{uuid.uuid4().hex[:12]}"
        return Mailbox("127.0.0.1", self.port, user, PASSWORD)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server():
    """One dovecot for the test session. Missing dovecot fails the test, saying so: bin/test
    installs it, and a skipped test would hide the inbound tests in CI."""
    if not os.path.exists(DOVECOT):
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (bin/_services.sh)")
    server = DovecotServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(dovecot_server, settings) -> Mailbox:
    """A fresh, empty mailbox user for this test, and the INBOUND_IMAP_* settings for it."""
    mailbox = dovecot_server.new_mailbox()
    for name, value in mailbox.settings.items():
        setattr(settings, name, value)
    return mailbox
