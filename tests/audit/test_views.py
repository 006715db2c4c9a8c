"""The supervisors' page of the audit trail."""

from django.urls import reverse

from audit.models import AuditEvent, AuditKind
from audit.services import audit_record
from cases.models import Case


def test_supervisors_see_events_and_changes_without_her_details(
    client, case, survivor, supervisor, django_assert_max_num_queries
):
    for _ in range(5):
        audit_record(kind=AuditKind.LOGIN, actor=survivor)
    Case.objects.filter(pk=case.pk).update(status="closed", pseudonym="Secret name")
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit:trail"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Logged in" in body and "cases_case" in body and "status: new → closed" in body
    assert "pseudonym" in body and "Secret name" not in body and case.reference not in body


def test_the_page_filters_by_kind(client, survivor, supervisor):
    audit_record(kind=AuditKind.EXPORT, actor=survivor)
    client.force_login(supervisor)
    body = client.get(reverse("audit:trail"), {"kind": "erasure"}).content.decode()
    assert "Nothing recorded yet." in body


def test_anyone_else_gets_a_404_which_is_itself_recorded(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("audit:trail")).status_code == 404
    event = AuditEvent.objects.get(kind=AuditKind.ACCESS_DENIED)
    assert event.actor_id == caseworker.pk and event.target == "audit:trail"
