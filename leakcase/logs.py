"""Log records carry the request id, and never a survivor's address, email, hash or token.

The code does not log those in the first place (tests/test_logs.py drives the main flows and
looks for canary strings). RedactFilter is the belt: it sits on the real handlers and on the
loggers that write request paths themselves (django.request, django.server), because Django
logs "Not Found: <path>" and some of our paths carry a one-time token.
"""

import contextvars
import datetime as dt
import json
import logging
import re

# Set by leakcase.middleware.request_id for the length of one request.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REDACTED = "[redacted]"
_PATTERNS = [
    # Any absolute URL (a sighting's address, a claim link in an email body).
    re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s'\"<>]+", re.IGNORECASE),
    # Email addresses.
    re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"),
    # Path segments that are secrets: invitation, password-reset and unsubscribe tokens.
    re.compile(r"(/invitations/)[^/\s]+"),
    re.compile(r"(/password/reset/key/)[^/\s]+"),
    re.compile(r"(/unsubscribe/)[^/\s]+"),
    # Hex digests and perceptual hashes (16 hex digits and more), SHA-256 and the like.
    re.compile(r"\b[0-9a-f]{16,}\b", re.IGNORECASE),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactFilter(logging.Filter):
    """Formats the message once, blanks anything that looks like an address, an email, a
    digest or a token, and escapes line breaks; exception text is left to the handler's
    formatter and redacted there by RedactingFormatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; keep the raw msg
            message = str(record.msg)
        # One record, one line: a CR or LF typed into a login form cannot forge a second one.
        cleaned = redact(message).replace("\r", "\\r").replace("\n", "\\n")
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        # django.request attaches the request itself (path, query, POST, cookies): a handler
        # such as AdminEmailHandler would mail all of it. They cope without it.
        record.__dict__.pop("request", None)
        return True


class NoTracebackFilter(logging.Filter):
    """django.template resolves a missing variable by catching an exception and logs it at
    DEBUG with exc_info; the exception's message is the repr of the whole template context,
    which holds her addresses, notes and email. The line is kept, the traceback is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class RedactingFormatter(logging.Formatter):
    """Tracebacks can quote local values (an SMTP error names its recipients)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(RedactingFormatter):
    """LOG_FORMAT=json: one JSON object a line, for a log collector. Each field is redacted
    before encoding (an escaped quote or slash must not hide an address from the patterns),
    the exception text too. Fifteen lines of our own rather than python-json-logger: the
    redaction of every field is the point, and json.dumps does the escaping."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or "-",
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)
