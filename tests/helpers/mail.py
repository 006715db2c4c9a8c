"""Messages as platforms, mail servers and attackers write them, built by code."""

import io
import zipfile
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

from takedowns.notices import reply_address


def reply(
    *,
    to: str = "replies@leakcase.invalid",
    sender: str = "Trust and Safety <abuse@dropbox.com>",
    subject: str = "Re: Report of non-consensual intimate imagery",
    body: str = "Thank you for your report.",
    headers: dict | None = None,
    html: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.dropbox.com")
    message["Date"] = "Sat, 05 Dec 2026 10:00:00 +0000"
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and body is None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    return message


def reply_to_request(takedown, **kwargs) -> EmailMessage:
    return reply(to=reply_address(takedown), **kwargs)


def with_attachment(message: EmailMessage, name: str, data: bytes, mime: str) -> EmailMessage:
    maintype, subtype = mime.split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def zip_of(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=9) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rfc3464_bounce(*, original_message_id: str, status: str = "5.1.1") -> bytes:
    """A delivery status notification as Postfix writes one (RFC 3464, RFC 6522)."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mx.dropbox.com (Mail Delivery System)"
    report["To"] = "notices@leakcase.invalid"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.dropbox.com")
    report["Auto-Submitted"] = "auto-replied"
    report.attach(
        MIMEText(
            "This is the mail system at host mx.dropbox.com.\n\n"
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients.\n\n"
            "<abuse@dropbox.com>: host mx said: 550 5.1.1 User unknown\n"
        )
    )
    status_part = MIMEBase("message", "delivery-status")
    status_part.set_payload(
        "Reporting-MTA: dns; mx.dropbox.com\n\n"
        "Final-Recipient: rfc822; abuse@dropbox.com\n"
        "Action: failed\n"
        f"Status: {status}\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
    )
    report.attach(status_part)
    returned = MIMEText(
        f"From: notices@leakcase.invalid\nTo: abuse@dropbox.com\n"
        f"Subject: Report of non-consensual intimate imagery\n"
        f"Message-ID: {original_message_id}\n",
        "rfc822-headers",
    )
    report.attach(returned)
    return report.as_bytes()


def plain_bounce(*, original_message_id: str) -> bytes:
    """The non-standard kind: a text body from MAILER-DAEMON quoting the returned message."""
    message = EmailMessage()
    message["From"] = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"
    message["To"] = "notices@leakcase.invalid"
    message["Subject"] = "Delivery Status Notification (Failure)"
    message["Message-ID"] = make_msgid(domain="googlemail.com")
    message.set_content(
        "** Address not found **\n\n"
        "Your message wasn't delivered to abuse@dropbox.com because the address couldn't "
        "be found.\n\n----- Original message -----\n\n"
        "From: notices@leakcase.invalid\n"
        f"Message-ID: {original_message_id}\n"
        "Subject: Report of non-consensual intimate imagery\n"
    )
    return message.as_bytes()
