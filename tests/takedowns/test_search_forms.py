import pytest

from delisting.services import delisting_draft
from evidence.services import sighting_log
from takedowns.search_forms import form_fields
from takedowns.selectors import notice_for
from takedowns.services import takedown_update_draft, takedowns_draft


@pytest.fixture
def sighting(case, survivor):
    case.jurisdiction = "DE"
    case.save(update_fields=["jurisdiction"])
    return sighting_log(case=case, url="https://pics.example/a/1", acting_user=survivor)


def _filled(draft, caseworker):
    return takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose Example",
        contact_email="rose@example.test",
        confirms_no_consent=True,
        confirms_not_paid=True,
        search_result_urls="https://www.google.com/search?q=a\n\nhttps://www.google.com/search?q=b",
    )


def test_googles_form_gets_one_answer_per_field_in_its_order(sighting, caseworker):
    draft = _filled(
        delisting_draft(sighting=sighting, engine="google", acting_user=caseworker), caseworker
    )
    answers = {f.label: f.answer for f in form_fields(notice_for(draft))}
    assert list(answers)[:3] == ["Full name", "Country of residence", "Contact email address"]
    assert answers["Full name"] == "Rose Example"
    assert answers["Country of residence"] == "Germany"
    assert answers["URLs of the web pages showing the imagery"] == "https://pics.example/a/1"
    assert answers["URLs of Google Search results pages that show them"] == (
        "https://www.google.com/search?q=a\nhttps://www.google.com/search?q=b"
    )
    assert answers["Statements"] == (
        "The images are intimate and were shared without my consent.\n"
        "I am not being paid for these images."
    )
    assert answers["Screenshot"] == "Add a screenshot to the case's evidence first."


def test_bings_form_has_its_own_fields(sighting, caseworker):
    draft = _filled(
        delisting_draft(sighting=sighting, engine="bing", acting_user=caseworker), caseworker
    )
    labels = [f.label for f in form_fields(notice_for(draft))]
    assert labels[0] == "Your name" and "Bing search result URL(s)" in labels


def test_no_country_is_an_empty_answer_not_a_made_up_one(case, survivor, caseworker):
    sighting = sighting_log(case=case, url="https://pics.example/b", acting_user=survivor)
    draft = delisting_draft(sighting=sighting, engine="google", acting_user=caseworker)
    answers = {f.label: f.answer for f in form_fields(notice_for(draft))}
    assert answers["Country of residence"] == ""


def test_a_request_to_a_site_has_no_form_fields(sighting, caseworker):
    (draft,) = takedowns_draft(case=sighting.case, sightings=[sighting], acting_user=caseworker)
    assert form_fields(notice_for(draft)) == []


def test_a_long_answer_gets_a_taller_box_up_to_six_lines(sighting, caseworker):
    draft = _filled(
        delisting_draft(sighting=sighting, engine="google", acting_user=caseworker), caseworker
    )
    rows = {f.label: f.rows for f in form_fields(notice_for(draft))}
    assert rows["Full name"] == 1
    assert rows["URLs of Google Search results pages that show them"] == 2
