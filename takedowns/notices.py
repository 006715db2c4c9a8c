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
from django.utils.translation import gettext_lazy as _

from takedowns.models import LegalBasis, Rung, TakedownRequest

TEMPLATE_VERSIONS = {basis: "v1" for basis in LegalBasis.values}
# Above the site, each rung has its own template (templates/notices/<rung>-<version>.txt),
# whatever the route: its recipient is a different kind of company, or a regulator.
RUNG_TEMPLATE_VERSIONS = {rung: "v1" for rung in Rung.values if rung != Rung.SITE}

DMCA_WARNING = _(
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
    # The earlier requests this one follows up (the rungs below it, and a ladder on an
    # earlier host when the content came back), oldest first: each quoted with its dates and
    # what came of it (takedowns.selectors.earlier_requests).
    earlier: tuple = ()
    # For a regulator rung: whom it goes to (takedowns.ladder.Regulator).
    regulator: object = None

    @property
    def rung(self) -> str:
        return self.request.rung

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
    _("Signature (her full name, or the name of the person acting for her)"), _has("signer_name")
)
LOCATION = Requirement(_("The address (URL) of each image"), _urls)

REQUIREMENTS: dict[str, list[Requirement]] = {
    LegalBasis.TAKE_IT_DOWN: [
        SIGNATURE,
        Requirement(
            _("A description identifying the intimate images"), _has("content_description")
        ),
        LOCATION,
        Requirement(
            _("A statement of good-faith belief that the images were published without consent"),
            lambda n: n.request.confirms_no_consent and n.request.confirms_good_faith,
        ),
        Requirement(_("Contact information (email, phone or postal address)"), _any_contact),
    ],
    LegalBasis.DMCA: [
        SIGNATURE,
        Requirement(_("Identification of the copyrighted work"), _has("copyright_work")),
        LOCATION,
        Requirement(
            _("Contact information: an email address and a postal address or phone number"),
            _email_and_address_or_phone,
        ),
        Requirement(
            _("A statement of good-faith belief that the use is not authorised"),
            lambda n: n.request.confirms_good_faith,
        ),
        Requirement(
            _(
                "A statement that the notice is accurate and, under penalty of perjury, that "
                "the sender is authorised to act for the copyright owner"
            ),
            lambda n: n.request.confirms_accuracy and n.request.confirms_perjury,
        ),
        Requirement(
            _("Confirmation that she owns the copyright"),
            lambda n: n.request.confirms_copyright_owner,
        ),
    ],
    LegalBasis.DSA: [
        Requirement(
            _("A substantiated explanation of why the content is illegal"),
            _has("illegality_explanation"),
        ),
        Requirement(_("The exact address (URL) of each item"), _urls),
        Requirement(_("The notifier's name"), _has("signer_name")),
        Requirement(_("The notifier's email address"), lambda n: bool(n.contact_email)),
        Requirement(
            _("A statement that the notice is accurate and complete, made in good faith"),
            lambda n: n.request.confirms_accuracy and n.request.confirms_good_faith,
        ),
    ],
    LegalBasis.PLATFORM_POLICY: [
        Requirement(
            _("A statement that the images are intimate and were shared without consent"),
            lambda n: n.request.confirms_no_consent,
        ),
        LOCATION,
        SIGNATURE,
        Requirement(_("Contact information (email, phone or postal address)"), _any_contact),
        Requirement(
            _("A statement that she is not being paid for the images"),
            lambda n: n.request.confirms_not_paid,
            applies=_is_search_engine,
        ),
        Requirement(
            _("The addresses of the search results that show them"),
            _has("search_result_urls"),
            applies=_is_search_engine,
        ),
        Requirement(
            _("A screenshot of the content (add one to the case's evidence)"),
            lambda n: n.evidence_count > 0,
            applies=_is_search_engine,
        ),
    ],
}


def _earlier_sent(n):
    return bool(n.earlier) and all(e.sent_at for e in n.earlier)


def _why_unlawful(n):
    r = n.request
    return bool(r.content_description.strip()) and r.confirms_no_consent


def _site_named(n):
    return any(e.rung == Rung.SITE for e in n.earlier)


EARLIER = Requirement(
    "The earlier request(s), with the dates they were sent and what came of them",
    _earlier_sent,
)
WHY_UNLAWFUL = Requirement(
    "Why it is unlawful: a description of the intimate images and a statement that they "
    "were published without consent",
    _why_unlawful,
)
RECIPIENT_NAMED = Requirement(
    "Whom it goes to: the company's name (from the hosting lookup)", _has("recipient_name")
)
CONTACT = Requirement("Contact information (email, phone or postal address)", _any_contact)
# A host, registrar or CDN is not the site: it needs to be told how it is tied to the
# content (the template says it: hosting the site, registering its name, fronting it), on
# what legal basis, why the content is unlawful, and that the site was asked and did not act.
_INFRASTRUCTURE = [RECIPIENT_NAMED, LOCATION, WHY_UNLAWFUL, EARLIER, SIGNATURE, CONTACT]
# A regulator or complaint body needs the platform named, what was asked of it and when, the
# content's addresses, why it is unlawful, and who complains.
_COMPLAINT = [
    Requirement("The platform complained about (the first request, to the site)", _site_named),
    LOCATION,
    WHY_UNLAWFUL,
    EARLIER,
    SIGNATURE,
    CONTACT,
]
RUNG_REQUIREMENTS: dict[str, list[Requirement]] = {
    Rung.HOST: _INFRASTRUCTURE,
    Rung.REGISTRAR: _INFRASTRUCTURE,
    Rung.CDN: _INFRASTRUCTURE,
    Rung.FTC: _COMPLAINT,
    Rung.DSA_COMPLAINT: [
        *_COMPLAINT,
        Requirement(
            "A substantiated explanation of why the content is illegal",
            _has("illegality_explanation"),
        ),
    ],
    Rung.DSA_SETTLEMENT: [
        *_COMPLAINT,
        Requirement(
            "A substantiated explanation of why the content is illegal",
            _has("illegality_explanation"),
        ),
    ],
    Rung.DSA_COORDINATOR: [
        *_COMPLAINT,
        Requirement(
            "A substantiated explanation of why the content is illegal",
            _has("illegality_explanation"),
        ),
    ],
}


def requirements(notice: Notice) -> list[Requirement]:
    if notice.rung == Rung.SITE:
        return REQUIREMENTS[notice.basis]
    return RUNG_REQUIREMENTS[notice.rung]


def lint(notice: Notice) -> list[str]:
    """The labels of every element the notice is missing; empty when it can be sent."""
    return [
        str(requirement.label)
        for requirement in requirements(notice)
        if requirement.applies(notice) and not requirement.check(notice)
    ]


def template_name(basis: str) -> str:
    return f"{basis}-{TEMPLATE_VERSIONS[basis]}"


def template_for(notice: Notice) -> str:
    """The site's notice is the route's own; each rung above it has its own template."""
    if notice.rung == Rung.SITE:
        return template_name(notice.basis)
    return f"{notice.rung}-{RUNG_TEMPLATE_VERSIONS[notice.rung]}"


# What each route is called in a notice to a company that is not the site.
BASIS_IN_WORDS = {
    LegalBasis.TAKE_IT_DOWN: "the US TAKE IT DOWN Act (47 U.S.C. 223a), which requires "
    "removal within 48 hours of a valid request",
    LegalBasis.DSA: "the EU Digital Services Act (Regulation (EU) 2022/2065), Articles 16 "
    "and 6: a hosting service that knows of illegal content must act expeditiously to "
    "remove it",
    LegalBasis.DMCA: "the US Digital Millennium Copyright Act, 17 U.S.C. 512(c)",
    LegalBasis.PLATFORM_POLICY: "your acceptable-use policy, which (like every major "
    "provider's) forbids publishing intimate images without consent",
}


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
            f"notices/{template_for(notice)}.txt",
            {
                "earlier": notice.earlier,
                "regulator": notice.regulator,
                "basis_in_words": BASIS_IN_WORDS[notice.basis],
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


RUNG_SUBJECTS = {
    Rung.HOST: "Abuse report: non-consensual intimate imagery on a site you host",
    Rung.REGISTRAR: "Abuse report: non-consensual intimate imagery on a domain you register",
    Rung.CDN: "Abuse report (non-consensual intimate imagery) for a site behind your network",
    Rung.FTC: "Complaint: platform failed to remove NCII within 48 hours (TAKE IT DOWN Act)",
    Rung.DSA_COMPLAINT: "Complaint against your decision (Article 20 DSA)",
    Rung.DSA_SETTLEMENT: "Dispute about a platform's decision (Article 21 DSA)",
    Rung.DSA_COORDINATOR: "Complaint about a platform (Article 53 DSA)",
}


def subject(notice: Notice, *, language: str | None = None) -> str:
    """The notice email's subject, in the platform's language like its text. The statutes'
    names and citations stay as they are in every language (placeholders)."""
    if notice.rung != Rung.SITE:
        # A host, registrar, CDN or regulator: written to in English (no directory entry
        # says otherwise).
        return RUNG_SUBJECTS[notice.rung]
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
