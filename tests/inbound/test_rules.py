"""The wording rules: tickets found in the usual shapes, the quoted notice ignored, a
platform's own rules tried before the defaults."""

import pytest

from inbound import rules


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("[Ticket #482913] Your report", "482913"),
        ("Re: Case 01234567 - Report received", "01234567"),
        ("Request ID: ABC-12345 has been created", "ABC-12345"),
        ("Your request (#5512093) has been received", "5512093"),
        ("[#TS-99812] Thank you", "TS-99812"),
        ("Thank you for your report", ""),
    ],
)
def test_ticket_numbers(text, ticket):
    assert rules.find_ticket(text) == ticket


def test_a_platforms_own_ticket_pattern_comes_first():
    text = "Thanks ref:_00D1a2B3c._5003X1Y2Z3:ref"
    assert rules.find_ticket(text, "meta") == "00D1a2B3c._5003X1Y2Z3"


def test_a_platforms_own_wording_comes_first():
    text = "We have delisted the URLs from Google Search results."
    assert rules.suggest(text, "google").name == "Google: delisted"


@pytest.mark.parametrize(
    "start",
    [
        "On Fri, 4 Dec 2026 at 10:00, LeakCase <notices@leakcase.invalid> wrote:",
        "-----Original Message-----",
        "From: LeakCase <notices@leakcase.invalid>",
        "---------- Forwarded message ---------",
    ],
)
def test_the_quoted_message_is_not_new_words(start):
    text = f"Please send the links.\n\n{start}\nThe images have been removed elsewhere.\n"
    assert rules.new_words(text).strip() == "Please send the links."


def test_every_default_rule_says_why():
    assert all(rule.why for rule in rules.DEFAULT_RULES)
