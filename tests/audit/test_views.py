"""The supervisors' page of the audit trail: Activity."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from audit.models import AuditChange, AuditEvent, AuditKind
from audit.services import audit_record
from cases.models import Case
from cases.services import case_open

TRAIL = "audit:trail"


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def _event(kind, actor, target="", when=None, **detail):
    """An event at the time given (the trail is append-only: it is written at that time)."""
    return AuditEvent.objects.create(
        kind=kind,
        actor_id=actor.pk,
        actor_role=actor.role,
        target=target,
        detail=detail,
        created_at=when,
    )


def _events_table(body: str) -> str:
    return body[body.index("<h2>Events</h2>") : body.index("<h2>Row changes</h2>")]


def _changes_table(body: str) -> str:
    return body[body.index("<h2>Row changes</h2>") :]


@pytest.fixture
def second_case(other_survivor):
    return case_open(survivor=other_survivor, pseudonym="Iris", acting_user=other_survivor)


def test_cases_are_named_by_reference_and_linked_and_values_are_in_words(
    client, case, survivor, supervisor, django_assert_max_num_queries
):
    for _ in range(5):
        audit_record(kind=AuditKind.LOGIN, actor=survivor)
    audit_record(
        kind=AuditKind.ACCESS_DENIED, actor=survivor, target=f"cases:detail case={case.pk}"
    )
    audit_record(kind=AuditKind.ACCESS_DENIED, actor=survivor, target="cases:detail case=none")
    audit_record(kind=AuditKind.EXPORT, actor=survivor, target="evidence:bundle case=987654")
    Case.objects.filter(pk=case.pk).update(status="closed", pseudonym="Secret name")
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse(TRAIL))
    assert response.status_code == 200
    body = response.content.decode()
    link = f'<a href="{reverse("cases:detail", args=[case.reference])}">{case.reference}</a>'
    events, changes = _events_table(body), _changes_table(body)
    assert link in events and link in changes
    assert "no such case" in events and "case since erased" in events
    assert f"case={case.pk}" not in body  # the database id is not what a person reads
    assert "Logged in" in events and "survivor@example.test" in events
    assert '<span class="muted">Survivor</span>' in events  # the role in words
    assert "Case changed" in changes and "status: New → Closed" in changes
    assert "pseudonym" in changes and "Secret name" not in body


def test_a_route_changed_on_a_request_is_shown_in_words(client, case, supervisor):
    AuditChange.objects.create(
        table_name="takedowns_takedownrequest",
        row_id=f"case_id={case.pk}",
        changed_columns=["legal_basis", "status"],
        shown_values={"legal_basis": ["dmca", "take_it_down"], "status": ["draft", "sent"]},
    )
    client.force_login(supervisor)
    changes = _changes_table(client.get(reverse(TRAIL)).content.decode())
    assert "Takedown request changed" in changes
    assert "take_it_down" not in changes and "dmca" not in changes and "draft" not in changes
    assert "TAKE IT DOWN Act" in changes and "DMCA" in changes


def test_filtering_by_case_reference_shows_that_case_only(
    client, case, second_case, survivor, supervisor, django_assert_max_num_queries
):
    audit_record(kind=AuditKind.EXPORT, actor=survivor, target=f"evidence:bundle case={case.pk}")
    audit_record(
        kind=AuditKind.EXPORT, actor=survivor, target=f"evidence:bundle case={second_case.pk}"
    )
    audit_record(kind=AuditKind.LOGIN, actor=survivor)
    Case.objects.filter(pk__in=[case.pk, second_case.pk]).update(status="active")
    AuditChange.objects.create(
        table_name="evidence_sighting",
        row_id=f"case_id={case.pk}",
        changed_columns=["status"],
        shown_values={"status": ["live", "removed"]},
    )
    client.force_login(supervisor)
    with django_assert_max_num_queries(9):
        response = client.get(reverse(TRAIL), {"case": case.reference.lower()})
    body = response.content.decode()
    assert response.status_code == 200
    events, changes = _events_table(body), _changes_table(body)
    assert events.count('<td data-label="What">') == 1 and case.reference in events
    assert second_case.reference not in body and "Logged in" not in events
    rows = changes.count('<td data-label="What">')
    assert rows >= 2 and changes.count(f">{case.reference}</a></td>") == rows
    assert "Case changed" in changes and "Sighting changed" in changes


def test_an_unknown_case_reference_is_said_and_nothing_is_shown(client, case, supervisor):
    audit_record(kind=AuditKind.LOGIN, actor=supervisor)
    client.force_login(supervisor)
    response = client.get(reverse(TRAIL), {"case": "LC-ZZZZZZ"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Case reference: No case has this reference (or it was erased)." in body
    assert "Nothing is shown" in body and "Logged in</td>" not in body


def test_filtering_by_person_matches_email_or_name(
    client, survivor, caseworker, supervisor, django_assert_max_num_queries
):
    audit_record(kind=AuditKind.LOGIN, actor=survivor)
    audit_record(kind=AuditKind.MFA_FAILED, actor=caseworker)
    client.force_login(supervisor)
    for person in ("CASEWORKER@example", "casey"):
        with django_assert_max_num_queries(8):
            body = client.get(reverse(TRAIL), {"person": person}).content.decode()
        events = _events_table(body)
        assert "Wrong second-factor code" in events and "Casey" in events
        assert "survivor@example.test" not in events and "Logged in" not in events
        assert "Row changes record no person" in body


def test_filtering_by_kind(client, survivor, supervisor):
    audit_record(kind=AuditKind.EXPORT, actor=survivor)
    audit_record(kind=AuditKind.LOGIN, actor=survivor)
    client.force_login(supervisor)
    events = _events_table(client.get(reverse(TRAIL), {"kind": "export"}).content.decode())
    assert "Export" in events and "Logged in" not in events
    body = client.get(reverse(TRAIL), {"kind": "erasure"}).content.decode()
    assert "Nothing recorded that matches these filters." in body


def test_filtering_by_dates_keeps_both_ends_of_the_range(
    client, survivor, supervisor, django_assert_max_num_queries
):
    for day, hour in ((1, 23), (2, 0), (3, 23), (4, 0)):
        _event(AuditKind.LOGIN, survivor, when=_at(day, hour), day=f"{day}-{hour}")
    AuditChange.objects.create(
        table_name="accounts_user", row_id="id=1", changed_columns=["role"], created_at=_at(2)
    )
    AuditChange.objects.create(
        table_name="accounts_user", row_id="id=2", changed_columns=["role"], created_at=_at(5)
    )
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse(TRAIL), {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert response.status_code == 200
    body = response.content.decode()
    events = _events_table(body)
    assert "day: 2-0" in events and "day: 3-23" in events
    assert "day: 1-23" not in events and "day: 4-0" not in events
    changes = _changes_table(body)
    assert "id=1" in changes and "id=2" not in changes


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-02-30"}, "From: Enter a date as year-month-day"),
        ({"date_to": "03/04/2026"}, "To: Enter a date as year-month-day"),
        ({"date_from": "yesterday"}, "From: Enter a date as year-month-day"),
        (
            {"date_from": "2026-03-05", "date_to": "2026-03-01"},
            "To: “To” must be on or after “From”.",
        ),
    ],
)
def test_a_bad_date_is_said_and_not_ignored(client, survivor, supervisor, params, message):
    audit_record(kind=AuditKind.LOGIN, actor=survivor)
    client.force_login(supervisor)
    response = client.get(reverse(TRAIL), params)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "Nothing is shown" in body
    assert "Logged in</td>" not in body  # not the whole trail as if no dates were asked
    csv_response = client.get(reverse(TRAIL), {**params, "format": "csv"})
    assert csv_response.status_code == 400 and csv_response["Content-Type"].startswith("text/html")


def test_events_page_past_fifty(client, survivor, supervisor):
    AuditEvent.objects.bulk_create(
        AuditEvent(kind=AuditKind.EXPORT, actor_id=survivor.pk, created_at=_at(1, 0))
        for _ in range(53)
    )
    client.force_login(supervisor)
    first = _events_table(client.get(reverse(TRAIL), {"kind": "export"}).content.decode())
    assert first.count('<td data-label="What">') == 50
    assert "Page 1 of 2 · 53 in all" in first and "?kind=export&amp;page=2" in first
    second = client.get(reverse(TRAIL), {"kind": "export", "page": "2"}).content.decode()
    assert _events_table(second).count('<td data-label="What">') == 3


def test_the_csv_holds_the_filtered_rows_and_no_formulas(
    client, case, second_case, survivor, caseworker, supervisor
):
    caseworker.display_name = '=HYPERLINK("http://evil.example")'
    caseworker.save()
    _event(
        AuditKind.EVIDENCE_VIEWED,
        caseworker,
        f"evidence:file case={case.pk} rendition=image",
        _at(2),
    )
    _event(AuditKind.EXPORT, survivor, f"evidence:bundle case={second_case.pk}", _at(2))
    _event(
        AuditKind.EVIDENCE_VIEWED,
        caseworker,
        f"evidence:file case={case.pk} rendition=download",
        _at(9),
    )
    AuditChange.objects.create(
        table_name="cases_case",
        row_id=f"id={case.pk}",
        changed_columns=["priority"],
        shown_values={"priority": ["normal", "urgent"]},
        created_at=_at(2, 13),
    )
    client.force_login(supervisor)
    response = client.get(
        reverse(TRAIL),
        {
            "case": case.reference,
            "date_from": "2026-03-01",
            "date_to": "2026-03-05",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="activity.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["record", "when_utc", "what", "who", "role", "case", "about", "details", "request_id"],
        [
            "row change",
            "2026-03-02 13:00:00",
            "Case changed",
            "not recorded",
            "",
            case.reference,
            "",
            "changed: priority; priority: Normal → Urgent",
            "",
        ],
        [
            "event",
            "2026-03-02 12:00:00",
            "Staff viewed evidence",
            '\'=HYPERLINK("http://evil.example") <caseworker@example.test>',
            "Caseworker",
            case.reference,
            "an evidence file, revealed",
            "",
            "",
        ],
    ]


@pytest.mark.parametrize("who", ["caseworker", "survivor"])
def test_anyone_else_gets_a_404_which_is_itself_recorded(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse(TRAIL)).status_code == 404
    assert client.get(reverse(TRAIL), {"format": "csv"}).status_code == 404
    event = AuditEvent.objects.filter(kind=AuditKind.ACCESS_DENIED).first()
    assert event.actor_id == user.pk and event.target == "audit:trail"


def test_what_an_event_was_about_is_said_in_words(client, case, caseworker, supervisor):
    for rendition in ("thumbnail", "image", "download"):
        _event(
            AuditKind.EVIDENCE_VIEWED,
            caseworker,
            f"evidence:file case={case.pk} rendition={rendition}",
            _at(2),
        )
    client.force_login(supervisor)
    page = client.get(reverse(TRAIL), {"case": case.reference}).content.decode()
    for words in (
        "an evidence file&#x27;s thumbnail, revealed",
        "an evidence file, revealed",
        "an evidence file, downloaded",
    ):
        assert f'<td data-label="About">{words}</td>' in page
    assert "rendition=" not in page
