"""What each legal basis requires of a notice, the check, and the text.

The requirements are DESIGN.md's "Notices: what each legal basis requires". A notice is
linted before it can be sent; the lint names each missing element in the words the form
uses. The text is rendered from a versioned plain-text template per basis
(templates/notices/<basis>-<version>.txt) and frozen into the request when it is sent.
LeakCase gives no legal advice: it says which route fits and what the route asks for.

A notice is written in the platform's language (Platform.language, English unless the
directory says otherwise), whatever language the person drafting it reads the site in:
`render` and `subject` switch to it themselves. `render(notice, language=...)` gives her a
translation to read, never one to send.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext

from takedowns.models import LegalBasis, TakedownRequest

TEMPLATE_VERSIONS = {basis: "v1" for basis in LegalBasis.values}

DMCA_WARNING = (
    "Use this route only if she owns the copyright in the images (for example, she took "
    "the picture herself). DMCA notices may be published, with names, in the Lumen "
    "database (lumendatabase.org); a counter-notice can restore the material 10 to 14 "
    "business days later unless a lawsuit is filed."
)


@dataclass(frozen=True)
class Notice:
    """Everything a notice is made of: the request's fields and the addresses it covers.
    `default_contact` is the email the notice gives when the draft names none: the one her
    case says (takedowns.selectors.notice_for)."""

    request: TakedownRequest
    urls: list[str]
    evidence_count: int
    default_contact: str = ""

    @property
    def basis(self) -> str:
        return self.request.legal_basis

    @property
    def contact_email(self) -> str:
        return self.request.contact_email.strip() or self.default_contact


def reply_address(request: TakedownRequest) -> str:
    """Replies come back to an address that names the request, so they can be matched. It is
    also the contact a notice gives unless she chose to give her own."""
    local, _, domain = settings.NOTICE_REPLY_TO.partition("@")
    return f"{local}+{request.pk.hex}@{domain}"


@dataclass(frozen=True)
class Requirement:
    label: str
    check: Callable[[Notice], bool]
    applies: Callable[[Notice], bool] = lambda notice: True


def _has(field):
    return lambda n: bool(str(getattr(n.request, field) or "").strip())


def _urls(n):
    return len(n.urls) > 0


def _any_contact(n):
    r = n.request
    return any(x.strip() for x in (n.contact_email, r.contact_phone, r.contact_address))


def _email_and_address_or_phone(n):
    r = n.request
    return bool(n.contact_email) and bool(r.contact_address.strip() or r.contact_phone.strip())


def _is_search_engine(n):
    return n.request.platform is not None and n.request.platform.is_search_engine


SIGNATURE = Requirement(
    "Signature (her full name, or the name of the person acting for her)", _has("signer_name")
)
LOCATION = Requirement("The address (URL) of each image", _urls)

REQUIREMENTS: dict[str, list[Requirement]] = {
    LegalBasis.TAKE_IT_DOWN: [
        SIGNATURE,
        Requirement("A description identifying the intimate images", _has("content_description")),
        LOCATION,
        Requirement(
            "A statement of good-faith belief that the images were published without consent",
            lambda n: n.request.confirms_no_consent and n.request.confirms_good_faith,
        ),
        Requirement("Contact information (email, phone or postal address)", _any_contact),
    ],
    LegalBasis.DMCA: [
        SIGNATURE,
        Requirement("Identification of the copyrighted work", _has("copyright_work")),
        LOCATION,
        Requirement(
            "Contact information: an email address and a postal address or phone number",
            _email_and_address_or_phone,
        ),
        Requirement(
            "A statement of good-faith belief that the use is not authorised",
            lambda n: n.request.confirms_good_faith,
        ),
        Requirement(
            "A statement that the notice is accurate and, under penalty of perjury, that the "
            "sender is authorised to act for the copyright owner",
            lambda n: n.request.confirms_accuracy and n.request.confirms_perjury,
        ),
        Requirement(
            "Confirmation that she owns the copyright",
            lambda n: n.request.confirms_copyright_owner,
        ),
    ],
    LegalBasis.DSA: [
        Requirement(
            "A substantiated explanation of why the content is illegal",
            _has("illegality_explanation"),
        ),
        Requirement("The exact address (URL) of each item", _urls),
        Requirement("The notifier's name", _has("signer_name")),
        Requirement("The notifier's email address", lambda n: bool(n.contact_email)),
        Requirement(
            "A statement that the notice is accurate and complete, made in good faith",
            lambda n: n.request.confirms_accuracy and n.request.confirms_good_faith,
        ),
    ],
    LegalBasis.PLATFORM_POLICY: [
        Requirement(
            "A statement that the images are intimate and were shared without consent",
            lambda n: n.request.confirms_no_consent,
        ),
        LOCATION,
        SIGNATURE,
        Requirement("Contact information (email, phone or postal address)", _any_contact),
        Requirement(
            "A statement that she is not being paid for the images",
            lambda n: n.request.confirms_not_paid,
            applies=_is_search_engine,
        ),
        Requirement(
            "The addresses of the search results that show them",
            _has("search_result_urls"),
            applies=_is_search_engine,
        ),
        Requirement(
            "A screenshot of the content (add one to the case's evidence)",
            lambda n: n.evidence_count > 0,
            applies=_is_search_engine,
        ),
    ],
}


def lint(notice: Notice) -> list[str]:
    """The labels of every element the notice is missing; empty when it can be sent."""
    return [
        requirement.label
        for requirement in REQUIREMENTS[notice.basis]
        if requirement.applies(notice) and not requirement.check(notice)
    ]


def template_name(basis: str) -> str:
    return f"{basis}-{TEMPLATE_VERSIONS[basis]}"


def platform_language(request: TakedownRequest) -> str:
    """The language notices to the request's platform are written in: the directory's, or
    the site's default for a request with no platform (an unknown site's host)."""
    platform = request.platform
    language = platform.language if platform is not None else ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render(notice: Notice, *, language: str | None = None) -> str:
    """The notice's text in the platform's language; `language` only for a translation she
    reads (her request page), never for what is sent."""
    request = notice.request
    with translation.override(language or platform_language(request)):
        return _render(notice)


def _render(notice: Notice) -> str:
    request = notice.request
    return (
        render_to_string(
            f"notices/{template_name(notice.basis)}.txt",
            {
                "r": request,
                "urls": notice.urls,
                "search_result_urls": [
                    line.strip()
                    for line in request.search_result_urls.splitlines()
                    if line.strip()
                ],
                "recipient": request.recipient,
                "contact_email": notice.contact_email,
                "acting_for_her": request.signer_capacity == "authorised",
            },
        ).strip()
        + "\n"
    )


def subject(notice: Notice, *, language: str | None = None) -> str:
    """The notice email's subject, in the platform's language like its text. The statutes'
    names and citations stay as they are in every language (placeholders)."""
    with translation.override(language or platform_language(notice.request)):
        labels = {
            LegalBasis.TAKE_IT_DOWN: gettext("Removal request under the %(act)s")
            % {"act": "TAKE IT DOWN Act"},
            LegalBasis.DMCA: gettext("%(act)s notice of infringement (%(statute)s)")
            % {"act": "DMCA", "statute": "17 U.S.C. 512(c)(3)"},
            LegalBasis.DSA: gettext("Notice of illegal content under %(article)s")
            % {"article": "Article 16 DSA"},
            LegalBasis.PLATFORM_POLICY: gettext("Report of non-consensual intimate imagery"),
        }
        return labels[notice.basis]


def reminder_subject(notice: Notice, *, sequence: int) -> str:
    """A reminder's subject, in the platform's language."""
    with translation.override(platform_language(notice.request)):
        return pgettext("notice reminder subject", "Reminder %(sequence)s: %(subject)s") % {
            "sequence": sequence,
            "subject": subject(notice),
        }


def reminder_text(takedown: TakedownRequest, *, sequence: int, hours_overdue: int) -> str:
    """A reminder's text, in the platform's language, quoting the notice as it was sent."""
    with translation.override(platform_language(takedown)):
        return render_to_string(
            "notices/reminder.txt",
            {"takedown": takedown, "sequence": sequence, "hours_overdue": hours_overdue},
        )
