"""What a search engine's own NCII form asks, field by field, filled from a request.

Google and Bing take delisting requests only through their web forms, whose fields do not
line up with a letter: staff paste one answer per field. Labels follow the forms as
published (sources below); the answers come from the request and its notice, so what is
pasted is what the notice linter already checked.
"""

from dataclasses import dataclass

from django.utils import translation

from cases.countries import COUNTRIES
from takedowns.models import SignerCapacity
from takedowns.notices import Notice


@dataclass(frozen=True)
class FormField:
    label: str
    answer: str

    @property
    def rows(self) -> int:
        """Tall enough for a list of addresses, at most six lines (the box scrolls)."""
        return min(6, self.answer.count("\n") + 1)


# Google: "Remove involuntary fake pornography or non-consensual explicit imagery from Google
# Search" (https://support.google.com/websearch/answer/6302812, the form it links to).
# Bing: Microsoft's "Report a Concern", type "Non-consensual intimate imagery"
# (https://www.microsoft.com/en-us/concern/revengeporn).
FORM_SOURCES = {
    "google-search": "https://support.google.com/websearch/answer/6302812",
    "bing": "https://www.microsoft.com/en-us/concern/revengeporn",
}


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _capacity(request) -> str:
    if request.signer_capacity == SignerCapacity.AUTHORISED:
        return "I am authorised to act for the person shown"
    return "I am the person shown"


def _statements(request) -> str:
    said = []
    if request.confirms_no_consent:
        said.append("The images are intimate and were shared without my consent.")
    if request.confirms_not_paid:
        said.append("I am not being paid for these images.")
    if request.confirms_good_faith:
        said.append("I believe in good faith that this information is accurate.")
    return "\n".join(said)


def form_fields(notice: Notice) -> list[FormField]:
    """The answers for the engine's form, in the form's order; [] for any other platform."""
    request = notice.request
    slug = request.platform.slug if request.platform else ""
    if slug not in FORM_SOURCES:
        return []
    jurisdiction = request.case.jurisdiction
    # The engine's form is answered in its language, as notices are: never hers by accident.
    with translation.override(getattr(request.platform, "language", "en")):
        country = str(dict(COUNTRIES).get(jurisdiction, "")) if jurisdiction else ""
    urls = "\n".join(notice.urls)
    results = _lines(request.search_result_urls)
    screenshot = (
        f"Attach a screenshot from the case's evidence ({notice.evidence_count} on file)."
        if notice.evidence_count
        else "Add a screenshot to the case's evidence first."
    )
    if slug == "google-search":
        fields = [
            FormField("Full name", request.signer_name),
            FormField("Country of residence", country),
            FormField("Contact email address", notice.contact_email),
            FormField("Who is making this request", _capacity(request)),
            FormField("URLs of the web pages showing the imagery", urls),
            FormField("URLs of Google Search results pages that show them", results),
            FormField("Statements", _statements(request)),
            FormField("Screenshot", screenshot),
            FormField("Signature", request.signer_name),
        ]
    else:
        fields = [
            FormField("Your name", request.signer_name),
            FormField("Email address", notice.contact_email),
            FormField("Country or region", country),
            FormField("Your relationship to the person depicted", _capacity(request)),
            FormField("URL(s) of the content", urls),
            FormField("Bing search result URL(s)", results),
            FormField("Statement", _statements(request)),
            FormField("Signature", request.signer_name),
        ]
    return fields
