import pytest
from django.urls import reverse

from cases.models import Case


def test_home_invites_visitors_and_sends_members_to_their_cases(client, survivor):
    body = client.get("/").content.decode()
    assert "Create a private account" in body
    client.force_login(survivor)
    assert client.get("/")["Location"] == reverse("cases:list")


def test_a_survivor_opens_a_case(client, survivor):
    client.force_login(survivor)
    response = client.post(reverse("cases:open"), {"pseudonym": "Rose"})
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
    page = client.get(response["Location"]).content.decode()
    assert case.reference in page
    assert "Case opened" in page  # the timeline


@pytest.mark.parametrize("pseudonym", ["", "   ", "x" * 81])
def test_a_case_needs_a_sensible_name(client, survivor, pseudonym):
    client.force_login(survivor)
    response = client.post(reverse("cases:open"), {"pseudonym": pseudonym})
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("pseudonym", ["", "   "])
def test_a_case_without_a_name_is_asked_for_one_in_her_words(client, survivor, pseudonym):
    client.force_login(survivor)
    response = client.post(reverse("cases:open"), {"pseudonym": pseudonym})
    assert "Please give the case a name. Any name will do." in response.content.decode()


def test_staff_are_sent_to_open_a_case_for_a_caller(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("cases:open"))["Location"] == reverse("cases:open_for_caller")


# --- staff ---------------------------------------------------------------------------


def test_bulk_assign_from_the_queue(open_cases, client, survivor, caseworker):
    cases = open_cases(survivor, 3)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:caseload_assign"), {"case": [cases[0].reference, cases[2].reference]}
    )
    assert response.status_code == 302
    assert set(
        Case.objects.filter(assigned_to=caseworker).values_list("reference", flat=True)
    ) == {
        cases[0].reference,
        cases[2].reference,
    }


def test_a_supervisor_bulk_assigns_to_a_caseworker_but_not_to_a_survivor(
    open_cases, client, survivor, caseworker, supervisor
):
    cases = open_cases(survivor, 2)
    client.force_login(supervisor)
    client.post(
        reverse("cases:caseload_assign"),
        {"case": [cases[0].reference], "assigned_to": survivor.pk},
    )
    assert not Case.objects.filter(assigned_to__isnull=False).exists()
    client.post(
        reverse("cases:caseload_assign"),
        {"case": [cases[0].reference], "assigned_to": caseworker.pk},
    )
    assert Case.objects.get(reference=cases[0].reference).assigned_to == caseworker


def test_an_invitation_the_mail_server_refuses_is_told_and_kept_in_the_outbox(
    client, caseworker, supervisor, smtp_server
):
    """The caseworker reads that it did not go and gets the link to give her; the email
    is on the outbox page, where a supervisor can send it again."""
    from outbox.models import EmailKind, EmailStatus, OutgoingEmail
    from outbox.services import outgoing_deliver

    smtp_server.answer = lambda n, envelope: "451 4.3.0 Try again later"
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:open_for_caller"),
        {"pseudonym": "Caller", "contact_email": "caller@example.test"},
        follow=True,
    )
    page = response.content.decode()
    assert "The invitation email could not be sent; give her the link." in page
    assert "Claim link (works once, for 14 days): http://testserver/invitations/" in page
    assert "An invitation was sent" not in page
    email = OutgoingEmail.objects.get()
    # One attempt: she was told it did not go, so it does not go later by itself.
    assert (email.kind, email.status, email.attempts, email.to_address) == (
        EmailKind.INVITATION,
        EmailStatus.FAILED,
        1,
        "caller@example.test",
    )
    assert "451" in email.last_error and "/invitations/" in email.body_text

    smtp_server.answer = None
    client.force_login(supervisor)
    assert "caller@example.test" in client.get(reverse("outbox:outbox")).content.decode()
    client.post(reverse("outbox:send_again", args=[email.pk]))
    assert outgoing_deliver().sent == 1
    assert smtp_server.recipients() == ["caller@example.test"]
