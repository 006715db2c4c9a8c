"""Countries a case can be in, for choosing legal routes (ISO 3166-1 alpha-2).

Short on purpose: the countries whose law changes which route is offered (EU/EEA for the
DSA, the US for the TAKE IT DOWN Act and the DMCA) and the largest English-speaking ones.
Anywhere else is "Other", which offers every route.
"""

COUNTRIES = [
    ("AT", "Austria"), ("AU", "Australia"), ("BE", "Belgium"), ("BG", "Bulgaria"),
    ("BR", "Brazil"), ("CA", "Canada"), ("CY", "Cyprus"), ("CZ", "Czechia"), ("DE", "Germany"),
    ("DK", "Denmark"), ("EE", "Estonia"), ("ES", "Spain"), ("FI", "Finland"), ("FR", "France"),
    ("GB", "United Kingdom"), ("GR", "Greece"), ("HR", "Croatia"), ("HU", "Hungary"),
    ("IE", "Ireland"), ("IN", "India"), ("IS", "Iceland"), ("IT", "Italy"),
    ("LI", "Liechtenstein"), ("LT", "Lithuania"), ("LU", "Luxembourg"), ("LV", "Latvia"),
    ("MT", "Malta"), ("MX", "Mexico"), ("NL", "Netherlands"), ("NO", "Norway"),
    ("NZ", "New Zealand"), ("PL", "Poland"), ("PT", "Portugal"), ("RO", "Romania"),
    ("SE", "Sweden"), ("SI", "Slovenia"), ("SK", "Slovakia"), ("US", "United States"),
    ("ZA", "South Africa"),
]  # fmt: skip
CHOICES = [("", "Other or not said"), *sorted(COUNTRIES, key=lambda c: c[1])]
