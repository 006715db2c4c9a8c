"""Each legal basis: a notice missing any one required element is refused with that
element named; a complete one carries every element in its text."""

import datetime as dt

import pytest

from platforms.models import Platform, PlatformKind
from takedowns.ladder import regulator_for
from takedowns.models import LegalBasis, Rung, TakedownRequest
from takedowns.notices import (
    DMCA_WARNING,
    REQUIREMENTS,
    RUNG_REQUIREMENTS,
    Notice,
    lint,
    render,
    subject,
    template_for,
)
from takedowns.selectors import EarlierRequest

URLS = ["https://x.com/someone/status/1", "https://x.com/someone/status/2"]
CONTACT = {
    "signer_name": "Rose Example",
    "contact_email": "rose@example.test",
    "contact_phone": "+1 555 0100",
    "contact_address": "1 Example Street, Springfield",
}
COMPLETE = {
    LegalBasis.TAKE_IT_DOWN: {
        **CONTACT,
        "content_description": "Two intimate photos of me taken in 2024.",
        "confirms_no_consent": True,
        "confirms_good_faith": True,
    },
    LegalBasis.DMCA: {
        **CONTACT,
        "copyright_work": "Self-portrait photographs I took in March 2024.",
        "confirms_good_faith": True,
        "confirms_accuracy": True,
        "confirms_perjury": True,
        "confirms_copyright_owner": True,
    },
    LegalBasis.DSA: {
        **CONTACT,
        "illegality_explanation": "Sharing intimate images without consent is a criminal "
        "offence under Directive (EU) 2024/1385, Art. 5.",
        "confirms_accuracy": True,
        "confirms_good_faith": True,
    },
    LegalBasis.PLATFORM_POLICY: {
        **CONTACT,
        "confirms_no_consent": True,
        "confirms_not_paid": True,
        "search_result_urls": "https://www.google.com/search?q=example",
    },
}
# For each element: the change that removes it from an otherwise complete notice.
BREAK = {
    "Signature": {"signer_name": ""},
    "A description identifying": {"content_description": ""},
    "The address (URL)": "no-urls",
    "The exact address (URL)": "no-urls",
    "A statement of good-faith belief that the images": {"confirms_good_faith": False},
    "Contact information (email": {
        "contact_email": "",
        "contact_phone": "",
        "contact_address": "",
    },
    "Identification of the copyrighted work": {"copyright_work": ""},
    "Contact information: an email": {"contact_address": "", "contact_phone": ""},
    "A statement of good-faith belief that the use": {"confirms_good_faith": False},
    "A statement that the notice is accurate and, under penalty": {"confirms_perjury": False},
    "Confirmation that she owns the copyright": {"confirms_copyright_owner": False},
    "A substantiated explanation": {"illegality_explanation": ""},
    "The notifier's name": {"signer_name": ""},
    "The notifier's email": {"contact_email": ""},
    "A statement that the notice is accurate and complete": {"confirms_accuracy": False},
    "A statement that the images are intimate": {"confirms_no_consent": False},
    "A statement that she is not being paid": {"confirms_not_paid": False},
    "The addresses of the search results": {"search_result_urls": ""},
    "A screenshot of the content": "no-evidence",
}


def _platform(basis):
    kind = PlatformKind.SEARCH_ENGINE if basis == LegalBasis.PLATFORM_POLICY else "social"
    return Platform(name="Example", slug="example", kind=kind, legal_bases=LegalBasis.values)


def _notice(basis, *, urls=URLS, evidence=1, **changes):
    request = TakedownRequest(legal_basis=basis, platform=_platform(basis))
    for name, value in {**COMPLETE[basis], **changes}.items():
        setattr(request, name, value)
    return Notice(request=request, urls=list(urls), evidence_count=evidence)


def _breaker(label):
    matches = [key for key in BREAK if label.startswith(key)]
    assert matches, f"no way to break {label!r} in this test"
    return BREAK[max(matches, key=len)]


CASES = [
    (basis, requirement.label)
    for basis, requirements in REQUIREMENTS.items()
    for requirement in requirements
]


@pytest.mark.parametrize(
    ("basis", "label"), CASES, ids=[f"{basis}:{label[:30]}" for basis, label in CASES]
)
def test_a_notice_missing_one_element_is_refused_with_that_element_named(basis, label):
    change = _breaker(label)
    if change == "no-urls":
        notice = _notice(basis, urls=[])
    elif change == "no-evidence":
        notice = _notice(basis, evidence=0)
    else:
        notice = _notice(basis, **change)
    assert label in lint(notice)


@pytest.mark.parametrize("basis", LegalBasis.values)
def test_a_complete_notice_passes_and_its_text_carries_every_element(basis):
    notice = _notice(basis)
    assert lint(notice) == []
    text = render(notice)
    for url in URLS:
        assert url in text
    assert "/Rose Example/" in text or "Name: Rose Example" in text
    assert "rose@example.test" in text
    for field in ("content_description", "copyright_work", "illegality_explanation"):
        value = COMPLETE[basis].get(field)
        if value:
            assert value in text, field
    statements = {
        LegalBasis.TAKE_IT_DOWN: ["good-faith belief", "is not consensual", "48 hours"],
        LegalBasis.DMCA: [
            "good faith belief that use of the material",
            "under penalty of perjury",
            "is accurate",
            "17 U.S.C. 512(c)(3)",
        ],
        LegalBasis.DSA: ["bona fide belief", "accurate and complete", "Article 16"],
        LegalBasis.PLATFORM_POLICY: [
            "shared without consent",
            "not being paid",
            "https://www.google.com/search?q=example",
        ],
    }[basis]
    for statement in statements:
        assert statement in text, statement
    assert "{{" not in text and "{%" not in text


def test_statements_left_unconfirmed_are_not_written_into_the_text():
    notice = _notice(LegalBasis.DMCA, confirms_perjury=False)
    assert "penalty of perjury" not in render(notice)


def test_search_engine_elements_apply_only_to_search_engines():
    notice = _notice(LegalBasis.PLATFORM_POLICY, confirms_not_paid=False, search_result_urls="")
    notice.request.platform.kind = "social"
    assert lint(notice) == []


def test_the_dmca_warning_names_ownership_and_publication():
    assert "owns the copyright" in DMCA_WARNING
    assert "Lumen" in DMCA_WARNING


# --- the ladder's rungs (takedowns/ladder.py): each its own template and requirements -----

RUNG_COMPLETE = {
    **CONTACT,
    "recipient_name": "Hostco Networks",
    "content_description": "Two intimate photos of me taken in 2024.",
    "illegality_explanation": "Sharing intimate images without consent is a criminal "
    "offence under Directive (EU) 2024/1385, Art. 5.",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}
SENT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
EARLIER_SITE = EarlierRequest(
    rung=Rung.SITE,
    what="A request under TAKE IT DOWN Act",
    recipient="Leaks Example",
    sent_at=SENT,
    ticket_number="S-1",
    outcome="No answer and no removal by 4 November 2026, 09:00 UTC, when it was due.",
)
RUNG_BREAK = {
    "Whom it goes to": {"recipient_name": ""},
    "The address (URL)": "no-urls",
    "Why it is unlawful": {"content_description": ""},
    "The earlier request(s)": "no-earlier",
    "Signature": {"signer_name": ""},
    "Contact information (email": {
        "contact_email": "",
        "contact_phone": "",
        "contact_address": "",
    },
    "The platform complained about": "no-earlier",
    "A substantiated explanation": {"illegality_explanation": ""},
}
BASIS_OF_RUNG = {
    Rung.FTC: LegalBasis.TAKE_IT_DOWN,
    Rung.DSA_COMPLAINT: LegalBasis.DSA,
    Rung.DSA_SETTLEMENT: LegalBasis.DSA,
    Rung.DSA_COORDINATOR: LegalBasis.DSA,
}


def _rung_notice(rung, *, urls=URLS, earlier=(EARLIER_SITE,), **changes):
    request = TakedownRequest(
        legal_basis=BASIS_OF_RUNG.get(rung, LegalBasis.TAKE_IT_DOWN), rung=rung, host="x.com"
    )
    for name, value in {**RUNG_COMPLETE, **changes}.items():
        setattr(request, name, value)
    return Notice(
        request=request,
        urls=list(urls),
        evidence_count=0,
        earlier=tuple(earlier),
        regulator=regulator_for(rung, country="IE", site="Leaks Example"),
    )


RUNG_CASES = [
    (rung, requirement.label)
    for rung, requirements in RUNG_REQUIREMENTS.items()
    for requirement in requirements
]


@pytest.mark.parametrize(
    ("rung", "label"), RUNG_CASES, ids=[f"{rung}:{label[:30]}" for rung, label in RUNG_CASES]
)
def test_a_rung_notice_missing_one_element_is_refused_with_that_element_named(rung, label):
    change = RUNG_BREAK[next(key for key in RUNG_BREAK if label.startswith(key))]
    if change == "no-urls":
        notice = _rung_notice(rung, urls=[])
    elif change == "no-earlier":
        notice = _rung_notice(rung, earlier=())
    else:
        notice = _rung_notice(rung, **change)
    assert label in lint(notice)


# What each rung's recipient must read in it: how it is tied to the site, the legal basis,
# and for a regulator, whom it is about and where it is filed.
RUNG_STATEMENTS = {
    Rung.HOST: ["You host the site", "hosting provider", "TAKE IT DOWN Act"],
    Rung.REGISTRAR: ["registrar of the domain name", "section 3.18", "TAKE IT DOWN Act"],
    Rung.CDN: ["served through your network", "non-consensual intimate imagery", "origin host"],
    Rung.FTC: ["https://reportfraud.ftc.gov/", "Company complained about: Leaks Example", "48"],
    Rung.DSA_COMPLAINT: ["Article 20", "Platform: Leaks Example"],
    Rung.DSA_SETTLEMENT: ["Article 21", "dsa-out-court-dispute-settlement"],
    Rung.DSA_COORDINATOR: ["Article 53", "Coimisiún na Meán"],
}


@pytest.mark.parametrize("rung", list(RUNG_REQUIREMENTS))
def test_a_complete_rung_notice_quotes_the_earlier_request_with_its_date(rung):
    notice = _rung_notice(rung)
    assert lint(notice) == []
    assert template_for(notice) == f"{rung}-v1"
    text = render(notice)
    for url in URLS:
        assert url in text
    assert "2 November 2026, 09:00" in text and "(its reference: S-1)" in text
    assert "No answer and no removal by 4 November 2026" in text
    assert "Two intimate photos of me taken in 2024." in text
    assert "/Rose Example/" in text and "rose@example.test" in text
    for statement in RUNG_STATEMENTS[rung]:
        assert statement in text, statement
    assert "{{" not in text and "{%" not in text
    assert subject(notice)


def test_a_site_notice_quotes_earlier_requests_only_when_there_are_some():
    plain = render(_notice(LegalBasis.TAKE_IT_DOWN))
    assert "earlier requests" not in plain
    request = _notice(LegalBasis.TAKE_IT_DOWN).request
    again = Notice(request=request, urls=URLS, evidence_count=1, earlier=(EARLIER_SITE,))
    text = render(again)
    assert "The same images were the subject of earlier requests, which we quote:" in text
    assert "to Leaks Example (its reference: S-1)" in text
