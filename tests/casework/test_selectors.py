import datetime as dt

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from access.permissions import cases_visible_to
from cases.models import Case
from cases.services import case_assign, case_open, note_add
from casework.selectors import (
    CaseloadQuery,
    case_timeline,
    cases_for_dashboard,
)
from casework.selectors import caseload_for as caseload_of
from casework.services import case_triage
from evidence.models import Sighting, SightingStatus
from evidence.services import sighting_log, sightings_log_pasted
from takedowns.models import TakedownRequest


@pytest.fixture
def cases(survivor, other_survivor, caseworker, other_caseworker):
    mine = case_open(survivor=survivor, pseudonym="A", acting_user=survivor)
    theirs = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
    assigned = case_open(survivor=other_survivor, pseudonym="C", acting_user=other_survivor)
    Case.objects.filter(pk=assigned.pk).update(assigned_to=caseworker)
    elsewhere = case_open(survivor=other_survivor, pseudonym="D", acting_user=other_survivor)
    Case.objects.filter(pk=elsewhere.pk).update(assigned_to=other_caseworker)
    return {"mine": mine, "theirs": theirs, "assigned": assigned, "elsewhere": elsewhere}


def test_dashboard_counts_sightings_by_status(cases, survivor):
    case = cases["mine"]
    sightings_log_pasted(case=case, text="x.com/1\nx.com/2\nx.com/3", acting_user=survivor)
    case.sightings.filter(url="https://x.com/3").update(status=SightingStatus.REMOVED)
    row = cases_for_dashboard(cases_visible_to(survivor)).get()
    assert (row.sighting_count, row.live_count, row.removed_count) == (3, 2, 1)


# --- the caseload ---------------------------------------------------------------------


def caseload_for(user, query):
    """The caseload as its view asks for it: out of the cases the user may see."""
    return caseload_of(user, query, cases=cases_visible_to(user))


def _refs(user, **query):
    return [c.reference for c in caseload_for(user, CaseloadQuery(**query))]


@pytest.fixture
def queue(survivor, other_survivor, caseworker, other_caseworker):
    """Five cases: two unassigned, one for each caseworker, one closed and unassigned."""

    def make(who, name):
        return case_open(survivor=who, pseudonym=name, acting_user=who)

    cases = {
        name: make(survivor if n % 2 else other_survivor, name) for n, name in enumerate("ABCDE")
    }
    case_assign(case=cases["C"], to=caseworker, acting_user=caseworker)
    case_assign(case=cases["D"], to=other_caseworker, acting_user=other_caseworker)
    Case.objects.filter(pk=cases["E"].pk).update(status="closed")
    return cases


def test_caseload_tabs(queue, caseworker, supervisor):
    ref = {name: c.reference for name, c in queue.items()}
    assert _refs(caseworker, tab="mine") == [ref["C"]]
    assert set(_refs(caseworker, tab="unassigned")) == {ref["A"], ref["B"]}
    assert set(_refs(supervisor, tab="all")) == set(ref.values())
    assert _refs(supervisor, tab="mine") == []


def test_caseworkers_have_no_all_tab_and_survivors_no_caseload(queue, caseworker, survivor):
    with pytest.raises(Http404):
        caseload_for(caseworker, CaseloadQuery(tab="all"))
    with pytest.raises(Http404):
        caseload_for(survivor, CaseloadQuery(tab="mine"))


def test_overdue_is_a_waiting_takedown_past_due_or_a_live_link_past_its_action_time(
    queue, caseworker, survivor
):
    now = timezone.now()
    a, b = queue["A"], queue["B"]
    TakedownRequest.objects.create(
        case=a,
        status="sent",
        sent_at=now - dt.timedelta(days=3),
        due_at=now - dt.timedelta(hours=1),
    )
    TakedownRequest.objects.create(case=b, status="removed", due_at=now - dt.timedelta(days=1))
    assert _refs(caseworker, tab="overdue") == [a.reference]

    sighting_log(case=b, url="https://x.com/late", acting_user=b.survivor)
    Sighting.objects.filter(case=b).update(action_due_at=now - dt.timedelta(minutes=5))
    assert set(_refs(caseworker, tab="overdue")) == {a.reference, b.reference}


def test_next_due_is_the_earliest_of_takedowns_and_live_links(queue, supervisor):
    a = queue["A"]
    soon, later = timezone.now() + dt.timedelta(hours=2), timezone.now() + dt.timedelta(hours=30)
    TakedownRequest.objects.create(case=a, status="acknowledged", due_at=later)
    sighting_log(case=a, url="https://x.com/1", acting_user=a.survivor)
    Sighting.objects.filter(case=a).update(action_due_at=soon)
    row = caseload_for(supervisor, CaseloadQuery(tab="all", q=a.reference)).get()
    assert row.next_due_at == soon
    assert row.live_count == 1 and row.removed_count == 0


def test_the_kept_next_due_equals_the_one_worked_out_from_the_rows(queue, supervisor):
    """Case.next_due_at is kept by triggers on requests and links, whatever writes them
    (services, queryset updates, deletes, a link moved to another case): after each of
    these it equals next_due_computed, for every case; and the audit trail records no
    change of the case for it."""
    from audit.models import AuditChange
    from casework.selectors import next_due_computed

    a, b = queue["A"], queue["B"]
    now = timezone.now()

    def agree():
        ids = Case.objects.values_list("pk", flat=True)
        kept = dict(Case.objects.values_list("pk", "next_due_at"))
        assert kept == next_due_computed(ids)

    request = TakedownRequest.objects.create(case=a, status="sent", due_at=now + dt.timedelta(1))
    agree()
    assert Case.objects.get(pk=a.pk).next_due_at == request.due_at
    sighting_log(case=b, url="https://x.com/one", acting_user=b.survivor)
    Sighting.objects.filter(case=b).update(action_due_at=now + dt.timedelta(hours=3))
    agree()
    TakedownRequest.objects.filter(pk=request.pk).update(status="removed")  # not waiting
    agree()
    assert Case.objects.get(pk=a.pk).next_due_at is None
    Sighting.objects.filter(case=b).update(case=a)  # moved: both cases change
    agree()
    Sighting.objects.filter(case=a).update(withdrawn_at=now)  # she removed it: not due
    agree()
    Sighting.objects.all().delete()
    TakedownRequest.objects.all().delete()
    agree()
    derived = AuditChange.objects.filter(changed_columns__contains=["next_due_at"])
    assert not derived.exists()


def test_filters_and_search(queue, supervisor):
    a, b = queue["A"], queue["B"]
    sightings_log_pasted(case=a, text="https://x.com/someone/status/9", acting_user=a.survivor)
    sightings_log_pasted(case=b, text="https://files.locker.example/abc", acting_user=b.survivor)
    case_triage(
        case=b,
        priority="urgent",
        involves_minor=True,
        threats_or_extortion=False,
        acting_user=supervisor,
    )
    assert _refs(supervisor, tab="all", platform="x-twitter") == [a.reference]
    assert _refs(supervisor, tab="all", priority="urgent") == [b.reference]
    assert _refs(supervisor, tab="all", status="closed") == [queue["E"].reference]
    assert _refs(supervisor, tab="all", q="locker.example") == [b.reference]
    assert _refs(supervisor, tab="all", q="status/9") == [a.reference]
    assert _refs(supervisor, tab="all", q=a.reference.lower()) == [a.reference]
    assert _refs(supervisor, tab="all", q="nothing-matches") == []


def test_sorting(queue, supervisor):
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        case_triage(
            case=queue["B"],
            priority="high",
            involves_minor=False,
            threats_or_extortion=False,
            acting_user=supervisor,
        )
    refs = {name: c.reference for name, c in queue.items()}
    by_ref = _refs(supervisor, tab="all", sort="reference")
    assert by_ref == sorted(by_ref)
    assert _refs(supervisor, tab="all", sort="-reference") == by_ref[::-1]
    assert _refs(supervisor, tab="all", sort="priority")[0] == refs["B"]
    assert _refs(supervisor, tab="all", sort="-activity")[0] == refs["B"]
    # An unknown sort key falls back to the default order instead of failing.
    assert set(_refs(supervisor, tab="all", sort="-password")) == set(refs.values())


def test_survivor_timeline_hides_internal_events_and_staff_names(case, survivor, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    case_triage(
        case=case,
        priority="urgent",
        involves_minor=True,
        threats_or_extortion=False,
        acting_user=caseworker,
    )
    note_add(case=case, body="secret", visibility="internal", acting_user=caseworker)
    note_add(case=case, body="hello", visibility="shared", acting_user=caseworker)
    hers = case_timeline(case, survivor)
    # The shared note's event, the case becoming active, the assignment (without a name).
    assert [e.event.kind for e in hers] == [
        "note_added",
        "status_changed",
        "assigned",
        "case_opened",
    ]
    assert hers[1].text == "New → Active"
    assert hers[2].text == "A caseworker is on your case."
    assert all("Casey" not in e.text and "minor" not in e.text for e in hers)
    # Who did it, in her words: what they are to her, never a name or a job title.
    assert [e.by for e in hers] == ["your caseworker"] * 3 + ["you"]
    assert hers[0].text == "A message for you"
    staff = case_timeline(case, caseworker)
    assert [e.event.kind for e in staff] == [
        "note_added",
        "note_added",
        "triaged",
        "status_changed",
        "assigned",
        "case_opened",
    ]
    assert staff[2].text == "Normal → Urgent (a minor is involved)"
    assert staff[4].text == "to Casey"


def test_her_timeline_names_a_supervisor_as_a_supervisor(case, survivor, supervisor):
    note_add(case=case, body="hello", visibility="shared", acting_user=supervisor)
    assert case_timeline(case, survivor)[0].by == "a supervisor"
    assert case_timeline(case, supervisor)[0].by == "you"


def test_the_timeline_says_what_a_draft_edit_and_a_marked_area_changed(case, survivor, caseworker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evidence.demo_images import make_image
    from evidence.models import EvidenceMatch
    from evidence.services import evidence_add, evidence_match_crop, reference_register
    from takedowns.services import takedown_update_draft, takedowns_draft

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=survivor,
        legal_basis="platform_policy",
        signer_name="Rose Example",
        contact_phone="+44 7700 900123",
    )
    photo = make_image(seed=80, size=(400, 300))
    reference_register(case=case, data=photo, acting_user=survivor)
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("p.jpg", photo), acting_user=survivor
    )
    EvidenceMatch.objects.filter(evidence=evidence).delete()
    evidence_match_crop(evidence=evidence, box=(0, 0, 400, 300), acting_user=caseworker)
    for reader in (survivor, caseworker):
        entries = {e.event.kind: e for e in case_timeline(case, reader)}
        edited, searched = entries["takedown_edited"], entries["crop_searched"]
        assert edited.event.get_kind_display() == "Takedown draft edited"
        assert edited.text == (
            "route: TAKE IT DOWN Act (47 U.S.C. 223a) → Platform policy / search delisting; "
            "changed: signature (full name), contact phone"
        )
        assert searched.event.get_kind_display() == "Marked area searched for copies"
        assert searched.text == "1 possible copy found"


def test_caseload_default_order_reads_cases_in_order_from_its_index(queue, supervisor):
    """The "All cases" tab on 100,000 cases stays fast only if PostgreSQL reads its first
    page in order from one index, with next due a column (kept by triggers): the
    expressions of migration cases/0016 must stay those of _with_caseload_columns and
    DEFAULT_SORT."""
    from django.db import connection

    query = caseload_for(supervisor, CaseloadQuery(tab="all"))[:25].query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # five cases: a scan is cheaper
        cursor.execute("SET LOCAL enable_sort = off")
        # With the statistics other tests leave, an incremental sort on the index's first
        # column can look as cheap for five cases; the question is whether the index serves
        # the whole order.
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "caseload_default_order" in plan
    assert "Sort" not in plan  # read in order: no sort of every case before the page


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/St_Johns", "Asia/Kolkata"])
def test_timeline_times_are_written_as_the_date_filter_writes_them(zone):
    from zoneinfo import ZoneInfo

    from django.template import Context, Template

    from casework.selectors import timeline_time

    moments = [
        dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=dt.UTC),  # DST starts in London
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),  # and ends
        dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC),
        dt.datetime(999, 5, 9, 7, 3, tzinfo=dt.UTC),
    ]
    template = Template("""{{ moment|date:'c' }}|{{ moment|date:"j M Y, H:i" }}""")
    with timezone.override(ZoneInfo(zone)):
        for moment in moments:
            expected = template.render(Context({"moment": moment})).split("|")
            assert list(timeline_time(moment)) == expected


# --- up, as far as we know ---------------------------------------------------------------


def test_a_link_our_check_cannot_reach_counts_as_up_and_goes_overdue(cases, survivor, caseworker):
    """A blocked or unreachable link is up as far as we know: in the caseload's live count,
    in next due, and overdue past its action window; a link she removed is in none."""
    case = cases["assigned"]
    blocked = sighting_log(case=case, url="https://blocks.example/1", acting_user=survivor)
    withdrawn = sighting_log(case=case, url="https://x.com/gone", acting_user=survivor)
    Sighting.objects.filter(pk=blocked.pk).update(status=SightingStatus.UNREACHABLE)
    Sighting.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    (row,) = caseload_for(caseworker, CaseloadQuery(tab="mine"))
    assert (row.live_count, row.removed_count, row.next_due_at) == (1, 0, blocked.action_due_at)
    with time_machine.travel(blocked.action_due_at + dt.timedelta(minutes=1)):
        assert _refs(caseworker, tab="overdue") == [case.reference]
    dashboard = cases_for_dashboard(cases_visible_to(case.survivor)).get(pk=case.pk)
    assert (dashboard.sighting_count, dashboard.live_count) == (1, 1)


def test_the_timeline_says_which_link_old_and_new_and_who_in_her_words(case, survivor, caseworker):
    from casework.services import sighting_status_set
    from monitoring.models import Outcome
    from monitoring.recheck import Verdict
    from monitoring.services import sighting_checks_record

    sighting = sighting_log(
        case=case, url="https://www.blocks.example/threads/12345", acting_user=survivor
    )
    sighting_checks_record(
        checks=[
            (
                Sighting.objects.select_related("case").get(pk=sighting.pk),
                Verdict(outcome=Outcome.UNREACHABLE),
            )
        ]
    )
    sighting_status_set(
        sighting=Sighting.objects.get(pk=sighting.pk),
        status="removed",
        acting_user=caseworker,
        reason="The forum deleted the thread.",
    )
    staff_set, checked = case_timeline(case, survivor)[:2]
    assert staff_set.text == (
        "blocks.example/threads/12345: Up, as far as we know → Removed "
        "(“The forum deleted the thread.”)"
    )
    assert staff_set.by == "your caseworker"
    assert (
        staff_set.advice == "Nothing to do. If you can still see it, tell us on the link's page."
    )
    assert checked.text == "blocks.example/threads/12345: Up → Up, as far as we know"
    assert checked.by == "our automatic check"
    assert checked.advice.startswith("Nothing to do. If you look and it is gone")
    assert case_timeline(case, caseworker)[0].by == "you"
    assert case_timeline(case, caseworker)[1].by == "our automatic check"
    assert case_timeline(case, caseworker)[0].advice == ""
