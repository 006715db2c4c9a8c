"""The ladder: who is asked next when a request's recipient lets the clock run out or
refuses, how long each is given, and where the ladder ends for each legal route.

Services that remove content for a living (and the Dutch hotline's SCART tool) escalate on a
timetable: the site, then the company hosting it, then the domain's registrar, then the CDN
or proxy in front of it, then a regulator where the route has one. Each rung climbed is its
own TakedownRequest (`rung`, `escalated_from`), so each keeps its notice, recipient, letters,
clock and figures; this module is only the data: the rungs in order, their clocks with the
source of each default, the regulators' addresses with theirs. LeakCase gives no legal
advice: it says which route fits and what the route asks for.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from takedowns.models import LegalBasis, Rung


@dataclass(frozen=True)
class RungSpec:
    rung: str
    # Who is asked, for staff, and what asking them means, for her ("We have now asked ...").
    who: str
    for_her: str
    # How long its recipient is given before the next rung's draft is prepared; None: the
    # last rung (nothing follows it) or, for the site, the request's own clock
    # (takedowns.services.due_hours: the Act's 48 hours, or the platform's usual time).
    default_wait_hours: int | None
    wait_source: str
    # Whose abuse contact receives it (hosting.selectors.contacts_for's roles); None for a
    # regulator (REGULATORS below) or the site itself.
    contact_role: str | None = None
    # A regulator's form takes copy-ready text; it is marked submitted, never emailed.
    web_form_only: bool = False


RUNGS: dict[str, RungSpec] = {
    Rung.SITE: RungSpec(
        Rung.SITE,
        "The site or platform",
        _("We have asked the site to remove it."),
        None,
        "The request's own clock: 48 hours under the TAKE IT DOWN Act (47 U.S.C. "
        "223a(a)(3)), otherwise the platform's usual answering time from the directory, or "
        "72 hours for a site not in it (takedowns.services.UNKNOWN_PLATFORM_HOURS).",
    ),
    Rung.HOST: RungSpec(
        Rung.HOST,
        "The company hosting the site",
        _("We have now asked the company that hosts the site."),
        72,
        "A hosting service must act on a notice 'in a timely, diligent, non-arbitrary and "
        "objective manner' (DSA Art. 16(6)); no law sets hours, so LeakCase gives it 72 hours, "
        "the 48 hours the TAKE IT DOWN Act gives platforms plus a day for an abuse desk that "
        "forwards the notice to its customer first.",
        contact_role="host",
    ),
    Rung.REGISTRAR: RungSpec(
        Rung.REGISTRAR,
        "The registrar of the site's domain name",
        _("We have now asked the company the site's name is registered with."),
        120,
        "ICANN's 2013 Registrar Accreditation Agreement, s. 3.18: registrars must 'take "
        "reasonable and prompt steps to investigate and respond appropriately' to abuse "
        "reports (24 hours to review only for law enforcement's, s. 3.18.2); LeakCase gives "
        "them 5 days (120 hours), as most registrars first ask the domain's holder.",
        contact_role="registrar",
    ),
    Rung.CDN: RungSpec(
        Rung.CDN,
        "The CDN or proxy in front of the site",
        _("We have now asked the network company that stands in front of the site."),
        72,
        "No law sets hours; a CDN such as Cloudflare forwards the report to the host and can "
        "name it. 72 hours, as for a host.",
        contact_role="cdn",
    ),
    Rung.FTC: RungSpec(
        Rung.FTC,
        "The US Federal Trade Commission",
        _("We have now reported the platform to the US Federal Trade Commission."),
        None,
        "The last rung under the TAKE IT DOWN Act: the Act's 48 hours (47 U.S.C. 223a(a)(3)) "
        "have passed unanswered, and the FTC enforces the Act (s. 3(b)). A complaint gets no "
        "answer on a clock.",
        web_form_only=True,
    ),
    Rung.DSA_COMPLAINT: RungSpec(
        Rung.DSA_COMPLAINT,
        "The platform's internal complaint system (DSA Art. 20)",
        _("We have now complained to the platform, through its own complaint system."),
        168,
        "DSA Art. 20(4): complaints are handled 'in a timely, non-discriminatory, diligent "
        "and non-arbitrary manner', with no hours set; LeakCase gives the platform 7 days. "
        "The complaint is possible for 6 months after its decision (Art. 20(1)).",
        web_form_only=True,
    ),
    Rung.DSA_SETTLEMENT: RungSpec(
        Rung.DSA_SETTLEMENT,
        "A certified out-of-court dispute settlement body (DSA Art. 21)",
        _("We have now taken it to an independent body that settles disputes with platforms."),
        90 * 24,
        "DSA Art. 21(4): a certified body decides within 90 days of receiving the complaint "
        "(up to 180 for complex disputes).",
        web_form_only=True,
    ),
    Rung.DSA_COORDINATOR: RungSpec(
        Rung.DSA_COORDINATOR,
        "The Digital Services Coordinator (DSA Art. 53)",
        _("We have now complained to the authority that supervises platforms in your country."),
        None,
        "The last rung under the DSA: a complaint to the coordinator of the country where "
        "she lives (Art. 53). A complaint gets no answer on a clock.",
        web_form_only=True,
    ),
}

# The rungs each route climbs, in order. The ones in front of the regulators are the same for
# every route: the site, its host, its registrar, the CDN in front of it.
_ALONG_THE_INTERNET = [Rung.SITE, Rung.HOST, Rung.REGISTRAR, Rung.CDN]
LADDERS: dict[str, list[str]] = {
    LegalBasis.TAKE_IT_DOWN: [*_ALONG_THE_INTERNET, Rung.FTC],
    LegalBasis.DSA: [
        *_ALONG_THE_INTERNET,
        Rung.DSA_COMPLAINT,
        Rung.DSA_SETTLEMENT,
        Rung.DSA_COORDINATOR,
    ],
    LegalBasis.DMCA: list(_ALONG_THE_INTERNET),
    LegalBasis.PLATFORM_POLICY: list(_ALONG_THE_INTERNET),
}

# Where a route's ladder ends with no regulator rung: what fits, without legal advice.
BEYOND_THE_LADDER: dict[str, str] = {
    LegalBasis.TAKE_IT_DOWN: "",
    LegalBasis.DSA: "",
    LegalBasis.DMCA: (
        "The DMCA has no regulator to complain to. A service provider that keeps material up "
        "after a valid notice loses its safe harbour (17 U.S.C. 512(c)(1)(C)); whether to "
        "bring a claim is a question for a lawyer."
    ),
    LegalBasis.PLATFORM_POLICY: (
        "A report under a site's own rules has no regulator behind it. If she is in the US, "
        "or the EU, a new request under the TAKE IT DOWN Act or the DSA obliges the site to "
        "answer, and its ladder goes on to the FTC or the DSA's bodies."
    ),
}


@dataclass(frozen=True)
class Regulator:
    name: str
    form_url: str
    source: str


# The regulators' own channels, with where each is published. They take web forms, so the
# rung's text is copy-ready and staff mark it submitted with the form's reference.
FTC = Regulator(
    "US Federal Trade Commission",
    "https://reportfraud.ftc.gov/",
    "TAKE IT DOWN Act s. 3(b): a platform's failure to comply is an unfair or deceptive act "
    "under the FTC Act, enforced by the FTC; complaints go through ReportFraud.ftc.gov.",
)
DSA_SETTLEMENT_BODIES = Regulator(
    "A certified out-of-court dispute settlement body",
    "https://digital-strategy.ec.europa.eu/en/policies/dsa-out-court-dispute-settlement",
    "The European Commission's list of bodies certified under DSA Art. 21(3); choose one "
    "certified for the platform and for this kind of content (for example Appeals Centre "
    "Europe, Ireland, or User Rights, Germany).",
)
# DSA Art. 53: the coordinator of the member state where she is. A few countries named; the
# Commission's list (source) has every one.
DSC_LIST = "https://digital-strategy.ec.europa.eu/en/policies/dsa-dscs"
DIGITAL_SERVICES_COORDINATORS: dict[str, Regulator] = {
    "IE": Regulator("Coimisiún na Meán", "https://www.cnam.ie/", DSC_LIST),
    "DE": Regulator("Bundesnetzagentur (DSC)", "https://www.dsc.bund.de/", DSC_LIST),
    "NL": Regulator("Autoriteit Consument & Markt", "https://www.acm.nl/", DSC_LIST),
    "FR": Regulator("Arcom", "https://www.arcom.fr/", DSC_LIST),
    "BE": Regulator("BIPT", "https://www.bipt.be/", DSC_LIST),
}
ANY_COORDINATOR = Regulator("The Digital Services Coordinator of her country", DSC_LIST, DSC_LIST)


def regulator_for(rung: str, *, country: str = "", site: str = "", site_form: str = ""):
    """The regulator (or, for the DSA complaint, the platform's own complaint channel) a
    regulator rung goes to; None for the other rungs."""
    if rung == Rung.FTC:
        return FTC
    if rung == Rung.DSA_COMPLAINT:
        return Regulator(
            f"{site}'s internal complaint system",
            site_form,
            "DSA Art. 20: every online platform runs one, free of charge.",
        )
    if rung == Rung.DSA_SETTLEMENT:
        return DSA_SETTLEMENT_BODIES
    if rung == Rung.DSA_COORDINATOR:
        return DIGITAL_SERVICES_COORDINATORS.get(country.upper(), ANY_COORDINATOR)
    return None


def ladder_for(basis: str) -> list[str]:
    return LADDERS[basis]


def next_rung(basis: str, rung: str, skipping: tuple = ()) -> str | None:
    """The rung after `rung` on this route's ladder, passing over `skipping`; None at the
    top."""
    rungs = LADDERS[basis]
    if rung not in rungs:
        return None
    for candidate in rungs[rungs.index(rung) + 1 :]:
        if candidate not in skipping:
            return candidate
    return None
