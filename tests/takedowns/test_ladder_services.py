"""The ladder climbing (takedowns/ladder_services.py): the next rung's draft when a wait
lapses unanswered or a recipient refuses, once however many dispatchers run, sent by itself
only where a supervisor turned that on, passed over when nobody is known, started again when
the images come back on a new host."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from cases.models import CaseEvent, EventKind
from evidence.services import sightings_log_pasted
from outbox.models import OutgoingEmail
from takedowns import notices
from takedowns.ladder_services import (
    ladder_setting_change,
    ladders_climb_due,
    takedown_climb,
    takedown_ladder_skip,
    takedowns_due_a_climb,
)
from takedowns.models import Rung, TakedownRequest
from takedowns.selectors import notice_for
from takedowns.services import (
    takedown_approve_recipient,
    takedown_mark_submitted,
    takedown_record_reply,
    takedown_send_email,
    takedown_update_draft,
    takedowns_draft,
    takedowns_reopen_for_reappeared,
)
from tests.helpers.ladder import hosted

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
SITE = "leaks.example"
NOTICE = {
    "signer_name": "Rose Example",
    "contact_email": "rose@example.test",
    "content_description": "Two intimate photos of me",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}


def _site_request(case, survivor, caseworker, *, url=f"https://{SITE}/a/1.jpg", basis=None):
    """Her request to a site not in the directory, submitted through its form at START."""
    sightings = sightings_log_pasted(case=case, text=url, acting_user=survivor).saved
    (request,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
    fields = dict(NOTICE)
    if basis:
        fields["legal_basis"] = basis
    takedown_update_draft(takedown=request, acting_user=caseworker, **fields)
    with time_machine.travel(START, tick=False):
        takedown_mark_submitted(takedown=request, ticket_number="S-1", acting_user=caseworker)
    request.refresh_from_db()
    return request


@pytest.fixture
def site_request(case, survivor, caseworker, consent):
    # Drafted before its host was looked up: the site's request names no one (the lookup
    # comes in afterwards and is there when the ladder climbs).
    request = _site_request(case, survivor, caseworker)
    hosted(SITE, at=START)
    return request


def test_nothing_climbs_before_the_wait_lapses(site_request):
    # Under the TAKE IT DOWN Act (the first route offered), 48 hours.
    assert site_request.legal_basis == "take_it_down"
    assert site_request.due_at == START + dt.timedelta(hours=48)
    with time_machine.travel(START + dt.timedelta(hours=47), tick=False):
        assert ladders_climb_due() == 0
    assert not TakedownRequest.objects.filter(rung=Rung.HOST).exists()


def test_a_lapsed_wait_prepares_the_hosts_draft_once(site_request):
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        assert ladders_climb_due() == 1
        assert ladders_climb_due() == 0  # claimed: a second run prepares nothing
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    assert draft.status == "draft"
    assert draft.escalated_from == site_request
    assert (draft.recipient_name, draft.recipient_email) == (
        "Hostco Networks",
        "abuse@hostco.test",
    )
    assert list(draft.sightings.all()) == list(site_request.sightings.all())
    assert draft.signer_name == "Rose Example"  # her details carried over
    event = CaseEvent.objects.get(kind=EventKind.TAKEDOWN_DRAFTED, target_id=str(draft.pk))
    assert event.new_value["rung"] == "host"
    assert event.new_value["because"] == "no answer by the due time"
    # Its notice quotes the site's request, with its date and that no answer came.
    notice = notice_for(draft)
    assert notices.lint(notice) == []
    text = notices.render(notice)
    assert "You host the site" in text
    assert "2 November 2026, 09:00" in text
    assert "(its reference: S-1)" in text
    assert "No answer and no removal by 4 November 2026, 09:00 UTC, when it was due." in text
    assert f"https://{SITE}/a/1.jpg" in text


def test_a_refusal_climbs_at_once(site_request, caseworker):
    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        takedown_record_reply(
            takedown=site_request, body="No.", decision="rejected", acting_user=caseworker
        )
        assert ladders_climb_due() == 1
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    assert "Refused on 2 November 2026, 11:00 UTC." in notices.render(notice_for(draft))


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_prepare_the_rung_once(
    platform_directory, case, survivor, caseworker, consent
):
    requests = [
        _site_request(case, survivor, caseworker, url=f"https://{SITE}/{n}.jpg") for n in range(3)
    ]
    hosted(SITE, at=START)
    barrier = threading.Barrier(2)
    errors, prepared = [], []

    def run():
        try:
            barrier.wait()
            with time_machine.travel(START + dt.timedelta(hours=80), tick=False):
                prepared.append(ladders_climb_due())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(prepared) == 3
    climbed = TakedownRequest.objects.filter(rung=Rung.HOST)
    assert sorted(r.escalated_from_id for r in climbed) == sorted(r.pk for r in requests)


def test_two_climbs_of_one_request_prepare_one_draft(site_request):
    with time_machine.travel(START + dt.timedelta(hours=80), tick=False):
        first = takedown_climb(takedown=site_request)
        second = takedown_climb(takedown=TakedownRequest.objects.get(pk=site_request.pk))
    assert first is not None and second is None
    assert TakedownRequest.objects.filter(escalated_from=site_request).count() == 1


def test_waits_are_the_defaults_until_a_supervisor_changes_them(
    site_request, caseworker, supervisor
):
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        ladders_climb_due()
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    with time_machine.travel(START + dt.timedelta(hours=50), tick=False):
        takedown_send_email(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    # The host's default: 72 hours (takedowns/ladder.py, with its source).
    assert draft.due_at == START + dt.timedelta(hours=50 + 72)
    ladder_setting_change(
        rung=Rung.REGISTRAR, wait_hours=10, send_automatically=False, acting_user=supervisor
    )
    with time_machine.travel(START + dt.timedelta(hours=50 + 73), tick=False):
        assert ladders_climb_due() == 1
    registrar = TakedownRequest.objects.get(rung=Rung.REGISTRAR)
    takedown_approve_recipient(takedown=registrar, acting_user=caseworker)
    with time_machine.travel(START + dt.timedelta(hours=150), tick=False):
        takedown_send_email(takedown=registrar, acting_user=caseworker)
    registrar.refresh_from_db()
    assert registrar.due_at == START + dt.timedelta(hours=160)  # the service's 10 hours


def test_a_site_rung_wait_chosen_by_the_service(case, survivor, caseworker, consent, supervisor):
    ladder_setting_change(
        rung=Rung.SITE, wait_hours=24, send_automatically=False, acting_user=supervisor
    )
    # Not under the Act (its 48 hours are the law's), but under the site's own policy.
    request = _site_request(case, survivor, caseworker, basis="platform_policy")
    assert request.due_at == START + dt.timedelta(hours=24)
    # The Act's 48 hours stand whatever the service chose.
    other = _site_request(case, survivor, caseworker, url="https://other.example/1.jpg")
    assert other.due_at == START + dt.timedelta(hours=48)


def test_only_supervisors_change_the_ladder(caseworker, supervisor):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ladder_setting_change(
            rung=Rung.HOST, wait_hours=5, send_automatically=False, acting_user=caseworker
        )
    with pytest.raises(ValidationError):
        ladder_setting_change(
            rung=Rung.FTC, wait_hours=None, send_automatically=True, acting_user=supervisor
        )


def test_a_rung_set_to_send_by_itself_goes_through_the_outbox(
    site_request, case, caseworker, supervisor
):
    # The host's address was approved by a caseworker before, on another request: known.
    other = TakedownRequest.objects.create(
        case=case, host="elsewhere.example", recipient_email="abuse@hostco.test"
    )
    takedown_approve_recipient(takedown=other, acting_user=caseworker)
    ladder_setting_change(
        rung=Rung.HOST, wait_hours=None, send_automatically=True, acting_user=supervisor
    )
    mail.outbox.clear()
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        assert ladders_climb_due() == 1
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    assert draft.status == "sent"
    letter = draft.correspondence.get(kind="notice")
    assert letter.status == "sent" and letter.created_by is None
    assert OutgoingEmail.objects.get(pk=letter.email_id).status == "sent"
    assert [m.to for m in mail.outbox] == [["abuse@hostco.test"]]
    site_request.refresh_from_db()
    assert site_request.status == "escalated"
    assert site_request.escalated_to == "Hostco Networks (hosting provider)"


def test_an_unapproved_address_is_not_sent_by_itself(site_request, supervisor):
    ladder_setting_change(
        rung=Rung.HOST, wait_hours=None, send_automatically=True, acting_user=supervisor
    )
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        ladders_climb_due()
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    assert draft.status == "draft"
    assert not draft.correspondence.exists()


def test_a_rung_with_no_contact_says_so_and_can_be_passed_over(
    case, survivor, caseworker, consent
):
    site_request = _site_request(case, survivor, caseworker)
    hosted(SITE, at=START, owner_email="")  # the network publishes no abuse address
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        ladders_climb_due()
    draft = TakedownRequest.objects.get(rung=Rung.HOST)
    assert (draft.recipient_name, draft.recipient_email) == ("", "")
    assert "Whom it goes to: the company's name (from the hosting lookup)" in notices.lint(
        notice_for(draft)
    )
    takedown_ladder_skip(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    assert draft.rung == Rung.REGISTRAR
    assert draft.rungs_skipped == [Rung.HOST]
    assert draft.recipient_email == "abuse@registrar.test"
    assert draft.escalated_from == site_request
    text = notices.render(notice_for(draft))
    assert "You are the registrar of the domain name" in text


def test_the_ladder_ends_at_the_ftc_under_the_take_it_down_act(
    case, survivor, caseworker, consent
):
    request = _site_request(case, survivor, caseworker, basis="take_it_down")
    hosted(SITE, at=START)  # no CDN in front of it
    assert request.due_at == START + dt.timedelta(hours=48)
    # Each rung refuses in turn; the next is prepared and sent through its form.
    for rung in (Rung.HOST, Rung.REGISTRAR, Rung.CDN):
        takedown_record_reply(
            takedown=request, body="No.", decision="rejected", acting_user=caseworker
        )
        assert ladders_climb_due() == 1
        request = TakedownRequest.objects.get(escalated_from=request)
        assert request.rung == rung
        if rung == Rung.CDN:
            break
        takedown_mark_submitted(
            takedown=request, ticket_number=f"{rung}-1", acting_user=caseworker
        )
        request.refresh_from_db()
    # No CDN fronts the site: nobody to ask at that rung; staff pass it over, to the FTC.
    assert request.recipient_name == ""
    request = takedown_ladder_skip(takedown=request, acting_user=caseworker)
    assert request.rung == Rung.FTC
    takedown_mark_submitted(takedown=request, ticket_number="FTC-1", acting_user=caseworker)
    request.refresh_from_db()
    assert request.recipient_name == "US Federal Trade Commission"
    assert request.recipient_form_url == "https://reportfraud.ftc.gov/"
    assert request.due_at is None  # the last rung: nothing follows on a clock
    text = request.notice_text
    assert "Company complained about: Unknown platform (leaks.example)" in text
    assert text.count("Refused on") == 3
    takedown_record_reply(
        takedown=request, body="Noted.", decision="rejected", acting_user=caseworker
    )
    assert list(takedowns_due_a_climb()) == []  # nothing above the FTC


def test_the_cdn_rung_goes_to_the_cdns_abuse_desk_and_form(site_request, case):
    hosted(
        SITE,
        at=START + dt.timedelta(hours=1),
        owner="Cloudflare, Inc.",
        owner_email="abuse@cloudflare.test",
        cdn="Cloudflare",
        cdn_abuse_email="abuse@cloudflare.test",
        cdn_abuse_url="https://abuse.cloudflare.com/",
    )
    registrar = TakedownRequest.objects.create(
        case=case,
        host=SITE,
        rung=Rung.REGISTRAR,
        legal_basis="take_it_down",
        escalated_from=site_request,
        status="rejected",
        sent_at=START,
    )
    registrar.sightings.set(site_request.sightings.all())
    assert takedown_climb(takedown=registrar) is not None
    cdn = TakedownRequest.objects.get(escalated_from=registrar)
    assert cdn.rung == Rung.CDN
    assert (cdn.recipient_name, cdn.recipient_email, cdn.recipient_form_url) == (
        "Cloudflare",
        "abuse@cloudflare.test",
        "https://abuse.cloudflare.com/",
    )


def test_search_engines_requests_do_not_climb(case, survivor, caseworker, consent):
    from platforms.models import Platform

    request = TakedownRequest.objects.create(
        case=case,
        platform=Platform.objects.filter(kind="search_engine").first(),
        status="rejected",
    )
    assert request.platform is not None
    assert request not in list(takedowns_due_a_climb())


def test_back_on_a_new_host_the_ladder_starts_again_quoting_the_earlier_one(
    site_request, caseworker
):
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        ladders_climb_due()
    host_rung = TakedownRequest.objects.get(rung=Rung.HOST)
    takedown_approve_recipient(takedown=host_rung, acting_user=caseworker)
    with time_machine.travel(START + dt.timedelta(hours=50), tick=False):
        takedown_send_email(takedown=host_rung, acting_user=caseworker)
        takedown_record_reply(
            takedown=host_rung, body="Removed.", decision="removed", acting_user=caseworker
        )
    # The site moved to another company's network, and the link is back.
    hosted(
        SITE,
        at=START + dt.timedelta(days=10),
        owner="Newhost Ltd",
        owner_email="abuse@newhost.test",
    )
    sighting = site_request.sightings.get()
    with time_machine.travel(START + dt.timedelta(days=10), tick=False):
        takedowns_reopen_for_reappeared(sighting=sighting, now=START + dt.timedelta(days=10))
    restart = TakedownRequest.objects.get(reappeared_after__isnull=False)
    assert restart.rung == Rung.SITE and restart.status == "draft"
    assert restart.reappeared_after == host_rung
    assert list(restart.sightings.all()) == [sighting]
    text = notices.render(notice_for(restart))
    assert "The same images were the subject of earlier requests, which we quote:" in text
    assert "A request under" in text and "to Unknown platform (leaks.example)" in text
    assert "A report to the hosting provider to Hostco Networks" in text
    assert "Removed on 4 November 2026, 11:00 UTC" in text
    # Run again (a second recheck of the link): no second draft.
    with time_machine.travel(START + dt.timedelta(days=10, hours=1), tick=False):
        takedowns_reopen_for_reappeared(sighting=sighting, now=START + dt.timedelta(days=10))
    assert TakedownRequest.objects.filter(reappeared_after__isnull=False).count() == 1
    # The earlier ladder keeps its outcome: removed, from the host that no longer has it.
    host_rung.refresh_from_db()
    assert host_rung.status == "removed"


def test_back_on_the_same_host_reopens_without_a_new_ladder(site_request, caseworker):
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        ladders_climb_due()
    host_rung = TakedownRequest.objects.get(rung=Rung.HOST)
    takedown_approve_recipient(takedown=host_rung, acting_user=caseworker)
    takedown_send_email(takedown=host_rung, acting_user=caseworker)
    takedown_record_reply(
        takedown=host_rung, body="Removed.", decision="removed", acting_user=caseworker
    )
    sighting = site_request.sightings.get()
    takedowns_reopen_for_reappeared(sighting=sighting, now=START + dt.timedelta(days=10))
    assert not TakedownRequest.objects.filter(reappeared_after__isnull=False).exists()
    host_rung.refresh_from_db()
    assert host_rung.status == "sent"


def test_a_host_asked_already_at_the_site_rung_is_passed_over(case, survivor, caseworker, consent):
    # Looked up first: the site's request goes to its host's abuse desk (takedowns_draft).
    hosted(SITE, at=START)
    site = _site_request(case, survivor, caseworker)
    assert site.recipient_email == "abuse@hostco.test"
    with time_machine.travel(START + dt.timedelta(hours=49), tick=False):
        assert ladders_climb_due() == 1
    draft = TakedownRequest.objects.get(escalated_from=site)
    assert draft.rung == Rung.REGISTRAR
    assert draft.rungs_skipped == [Rung.HOST]
    assert draft.recipient_email == "abuse@registrar.test"


def test_a_copy_found_on_another_host_starts_a_ladder_quoting_the_earlier_one(
    site_request, case, survivor, caseworker
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from evidence.demo_images import make_image
    from evidence.models import EvidenceMatch
    from evidence.services import evidence_add, evidence_match_confirm, reference_register

    picture = make_image()
    reference_register(case=case, data=picture, acting_user=survivor)
    old = site_request.sightings.get()
    (new,) = sightings_log_pasted(
        case=case, text="https://mirror.example/p/1.jpg", acting_user=survivor
    ).saved
    # The same picture, saved twice in another format and size: copies, not the same file.
    smaller = io.BytesIO()
    Image.open(io.BytesIO(picture)).resize((600, 450)).save(smaller, "JPEG", quality=85)
    for sighting, copy in ((old, make_image(fmt="PNG")), (new, smaller.getvalue())):
        evidence_add(
            case=case,
            upload=SimpleUploadedFile("shot", copy),
            acting_user=survivor,
            sighting=sighting,
        )
    assert EvidenceMatch.objects.count() == 2
    for match in EvidenceMatch.objects.all():
        evidence_match_confirm(match=match, acting_user=caseworker)
    (draft,) = takedowns_draft(case=case, sightings=[new], acting_user=caseworker)
    assert draft.reappeared_after == site_request
    text = notices.render(notice_for(draft))
    assert "The same images were the subject of earlier requests, which we quote:" in text
    assert "2 November 2026, 09:00 UTC: A request under" in text
