"""A real SMTP server on 127.0.0.1, started by the test, for the emails of every kind."""

import asyncio
import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Recorder:
    """Keeps every message it accepts. `answer(n, envelope)` may return an SMTP error reply
    for the n-th message (1-based); `hold` makes the n-th message wait, before the server
    answers, until the test releases it (to kill a sender at the worst moment)."""

    def __init__(self):
        self.messages = []
        self.answer = None
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self._count = 0

    async def handle_DATA(self, server, session, envelope):
        self._count += 1
        n = self._count
        if self.answer is not None and (reply := self.answer(n, envelope)):
            return reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.hold_at == n:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    def recipients(self):
        return [to for tos, _ in self.messages for to in tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    recorder.port = controller.port
    yield recorder
    recorder.release.set()
    controller.stop()


@pytest.fixture
def her_case(survivor):
    """A survivor's open case with a sighting: she has something to be told about."""
    from cases.services import case_open
    from evidence.services import sighting_log

    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    sighting_log(case=case, url="https://x.example/a", acting_user=survivor)
    return case
