"""Countries a case can be in, for choosing legal routes (ISO 3166-1 alpha-2).

Short on purpose: the countries whose law changes which route is offered (EU/EEA for the
DSA, the US for the TAKE IT DOWN Act and the DMCA) and the largest English-speaking ones.
Anywhere else is "Other", which offers every route.
"""

from functools import cache

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("AT", _("Austria")),
    ("AU", _("Australia")),
    ("BE", _("Belgium")),
    ("BG", _("Bulgaria")),
    ("BR", _("Brazil")),
    ("CA", _("Canada")),
    ("CY", _("Cyprus")),
    ("CZ", _("Czechia")),
    ("DE", _("Germany")),
    ("DK", _("Denmark")),
    ("EE", _("Estonia")),
    ("ES", _("Spain")),
    ("FI", _("Finland")),
    ("FR", _("France")),
    ("GB", _("United Kingdom")),
    ("GR", _("Greece")),
    ("HR", _("Croatia")),
    ("HU", _("Hungary")),
    ("IE", _("Ireland")),
    ("IN", _("India")),
    ("IS", _("Iceland")),
    ("IT", _("Italy")),
    ("LI", _("Liechtenstein")),
    ("LT", _("Lithuania")),
    ("LU", _("Luxembourg")),
    ("LV", _("Latvia")),
    ("MT", _("Malta")),
    ("MX", _("Mexico")),
    ("NL", _("Netherlands")),
    ("NO", _("Norway")),
    ("NZ", _("New Zealand")),
    ("PL", _("Poland")),
    ("PT", _("Portugal")),
    ("RO", _("Romania")),
    ("SE", _("Sweden")),
    ("SI", _("Slovenia")),
    ("SK", _("Slovakia")),
    ("US", _("United States")),
    ("ZA", _("South Africa")),
]


def choices() -> list[tuple[str, str]]:
    """Sorted by name in the reader's language, so called each time the form is shown."""
    return _sorted_in(get_language())


@cache
def _sorted_in(language: str) -> list[tuple[str, str]]:
    # Once per language: Django asks for a select's choices twice each time it is drawn
    # (is the first one empty? then every option), and the triage form is on every case
    # page staff open.
    named = sorted(((code, str(name)) for code, name in COUNTRIES), key=lambda c: c[1])
    return [("", str(_("Other or not said"))), *named]
