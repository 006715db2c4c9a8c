"""Messages as platforms, mail servers and attackers write them, built by code."""

import io
import zipfile
from email.message import EmailMessage
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


def rfc3464_bounce(
    *, original_message_id: str, status: str = "5.1.1", whole_message: bool = False
) -> bytes:
    """A delivery status notification as Postfix writes one (RFC 3464, RFC 6522): the
    returned message's headers only, or (whole_message, as Gmail and Exchange do) all of it."""
    returned = (
        "Content-Type: message/rfc822\n\n"
        "From: notices@leakcase.invalid\nTo: abuse@dropbox.com\n"
        "Subject: Report of non-consensual intimate imagery\n"
        f"Message-ID: {original_message_id}\n\nTo: Dropbox\nRe: Request for removal\n"
        if whole_message
        else "Content-Type: text/rfc822-headers\n\n"
        "From: notices@leakcase.invalid\nTo: abuse@dropbox.com\n"
        "Subject: Report of non-consensual intimate imagery\n"
        f"Message-ID: {original_message_id}\n"
    )
    return f"""From: MAILER-DAEMON@mx.dropbox.com (Mail Delivery System)
To: notices@leakcase.invalid
Subject: Undelivered Mail Returned to Sender
Message-ID: {make_msgid(domain="mx.dropbox.com")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.dropbox.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<abuse@dropbox.com>: host mx said: 550 5.1.1 User unknown

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.dropbox.com

Final-Recipient: rfc822; abuse@dropbox.com
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1
{returned}
--B1--
""".replace("\n", "\r\n").encode()


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
