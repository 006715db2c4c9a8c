"""The export, erasure and bundle pages: who may use them, the password asked again, and
downloads under names that say nothing."""

import datetime as dt

import time_machine
from django.urls import reverse

from tests.conftest import PASSWORD


def test_export_needs_the_password_again(client, survivor, two_survivors):
    client.force_login(survivor)
    response = client.post(reverse("accounts:export"), {"password": "not-it"})
    assert response.status_code == 400
    assert "not right" in response.content.decode()


def test_staff_have_no_export_or_erase_page(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("accounts:export")).status_code == 404
    assert client.get(reverse("accounts:erase")).status_code == 404


def test_the_export_downloads_under_a_neutral_name(client, survivor, two_survivors):
    """A downloads folder is seen by whoever borrows the device: no name of a case, no
    reference, nothing that says what the service is for."""
    (case, _, _), _ = two_survivors
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(survivor)  # at that time, or her session is long idle
        response = client.post(reverse("accounts:export"), {"password": PASSWORD})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="export-2026-12-05.zip"'
    for telling in (case.reference, case.pseudonym, "leak", "intimate", "evidence"):
        assert telling.lower() not in disposition.lower()


def test_the_bundle_downloads_under_a_neutral_name(client, survivor, case, evidence):
    """A downloads folder is seen by whoever borrows the device: the name says nothing of
    the case or what it is about."""
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(survivor)  # at that time, or her session is long idle
        response = client.get(reverse("evidence:bundle", args=[case.reference]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="bundle-2026-12-05.zip"'
    for telling in (case.reference, case.pseudonym, "leak", "intimate", "evidence"):
        assert telling.lower() not in disposition.lower()
