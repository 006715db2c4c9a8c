"""leakcase/forms.py: a form sent twice does its thing once (the one-time token), a GET to a
URL that only takes a form goes back to its page instead of a 405, and a form with errors
says so at its top (the error summary of templates/_form_fields.html)."""

import re
import threading
import uuid

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseNote
from cases.services import case_open_for_caller, invitation_issue
from evidence.models import EvidenceFile, ReferenceHash, Sighting
from leakcase.forms import ALREADY_SENT, FORM_TOKEN_FIELD, new_form_token
from tests.case_world import image
from tests.helpers.access_matrix import MATRIX, OK, ROLES, World

# --- one form, one action ----------------------------------------------------------------


def _case_url(case):
    return reverse("cases:detail", args=[case.reference])


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# Every form a survivor can send (and staff's note and assignment): how to send it, and
# what one sending of it adds. Each is sent twice with the same token: one row, and the
# second answer is a redirect that says it was already sent.
def _open_a_case(w):
    return "survivor", reverse("cases:open"), lambda n: {"pseudonym": "Ivy"}, Case.objects.count


def _log_a_sighting(w):
    return (
        "survivor",
        reverse("evidence:sighting_add", args=[w.case.reference]),
        lambda n: {"url": f"https://x.com/new/{n}"},
        Sighting.objects.count,
    )


def _paste_many(w):
    return (
        "survivor",
        reverse("evidence:sightings_paste", args=[w.case.reference]),
        # One address saved, one line refused: the result is shown after the redirect.
        lambda n: {"urls": f"https://x.com/p/{n}\njavascript:alert({n})"},
        Sighting.objects.count,
    )


def _upload_evidence(w):
    # A different picture each time, so only the token can stop the second one.
    return (
        "survivor",
        reverse("evidence:upload", args=[w.case.reference]),
        lambda n: {"image": image(seed=10 + n), "sighting": ""},
        EvidenceFile.objects.count,
    )


def _images_to_find(w):
    return (
        "survivor",
        reverse("evidence:references", args=[w.case.reference]),
        lambda n: {"image": image(seed=20 + n), "label": "me"},
        ReferenceHash.objects.count,
    )


def _consent(w):
    # The world's case has her consent: she withdraws it (once), or it would flip back.
    return (
        "survivor",
        reverse("cases:consent", args=[w.case.reference]),
        lambda n: {"consent": "withdraw"},
        CaseEvent.objects.count,
    )


def _notice_contact(w):
    return (
        "survivor",
        reverse("cases:notice_contact", args=[w.case.reference]),
        lambda n: {"notice_contact": "own_email"},
        CaseEvent.objects.count,
    )


def _programme_case_number(w):
    # A different number each time: without the token, each would be a correction.
    return (
        "survivor",
        reverse("cases:programme_record", args=[w.case.reference]),
        lambda n: {
            "programme": "stopncii",
            "case_number": f"SN-{n}000",
            "registered_on": "2026-11-03",
        },
        CaseEvent.objects.count,
    )


def _hash_sharing(w):
    # Given, then withdrawn: without the token the second would undo the first.
    return (
        "survivor",
        reverse("cases:hash_sharing", args=[w.case.reference]),
        lambda n: {"consent": "give" if n == 1 else "withdraw"},
        CaseEvent.objects.count,
    )


def _claim(w):
    caller_case = case_open_for_caller(
        pseudonym="Fern", contact_email="fern@example.test", acting_user=w.users["caseworker"]
    )
    token = invitation_issue(case=caller_case, acting_user=w.users["caseworker"])
    return (
        "other_survivor",
        reverse("cases:claim", args=[token]),
        lambda n: {},
        lambda: CaseEvent.objects.filter(case=caller_case, kind="claimed").count(),
    )


def _staff_note(w):
    return (
        "caseworker",
        reverse("cases:note_add", args=[w.case.reference]),
        lambda n: {"body": f"Called her {n}", "visibility": "shared"},
        CaseEvent.objects.count,
    )


def _staff_assign(w):
    return (
        "caseworker",
        reverse("cases:assign", args=[w.case.reference]),
        lambda n: {"action": "release"},
        CaseEvent.objects.count,
    )


def _message(w):
    # A new idempotency key each time (a new rendering would have one): only the token stops
    # the second.
    return (
        "survivor",
        reverse("cases:message_post", args=[w.case.reference]),
        lambda n: {"body": f"Is there news? {n}", "key": str(uuid.uuid4())},
        CaseNote.objects.count,
    )


def _her_word_on_a_link(w):
    # "It's gone" and then "still up" would be two events without the token.
    return (
        "survivor",
        reverse("evidence:sighting_status", args=[w.case.reference, w.sighting.id]),
        lambda n: {"seen": "gone" if n == 1 else "up", "words": ""},
        CaseEvent.objects.count,
    )


def _correct_a_link(w):
    return (
        "survivor",
        reverse("evidence:sighting_correct", args=[w.case.reference, w.sighting.id]),
        lambda n: {"url": f"https://x.com/corrected/{n}", "note": "", "first_seen_on": ""},
        CaseEvent.objects.count,
    )


HER_FORMS = {
    "open a case": _open_a_case,
    "log a sighting": _log_a_sighting,
    "paste many": _paste_many,
    "upload evidence": _upload_evidence,
    "images to find": _images_to_find,
    "consent": _consent,
    "contact address for notices": _notice_contact,
    "programme case number": _programme_case_number,
    "consent to share fingerprints": _hash_sharing,
    "claim a case": _claim,
    "staff note": _staff_note,
    "staff assignment": _staff_assign,
    "message to her caseworker": _message,
    "her word on a link": _her_word_on_a_link,
    "correct a link": _correct_a_link,
}


# Those that add something new each time (the others set a state, or are used up).
REPEATABLE = {
    "open a case",
    "log a sighting",
    "paste many",
    "upload evidence",
    "images to find",
    "programme case number",
    "staff note",
    "message to her caseworker",
}


@pytest.fixture
def world(survivor, other_survivor, caseworker, supervisor):
    from tests.case_world import CaseWorld

    return CaseWorld(
        survivor=survivor,
        other_survivor=other_survivor,
        caseworker=caseworker,
        supervisor=supervisor,
    )


@pytest.mark.parametrize("form", list(HER_FORMS))
def test_the_same_form_sent_twice_does_it_once(client, world, form):
    who, url, data, rows = HER_FORMS[form](world)
    client.force_login(world.users[who])
    token = new_form_token()
    before = rows()

    first = client.post(url, {**data(1), FORM_TOKEN_FIELD: token})
    assert first.status_code == 302, first.content.decode()[:2000]
    assert rows() == before + 1
    assert ALREADY_SENT not in _messages(first)

    second = client.post(url, {**data(2), FORM_TOKEN_FIELD: token})
    assert rows() == before + 1
    assert second.status_code == 302
    # Where the first one went: the same result, with a note.
    assert second["Location"] == first["Location"]
    assert ALREADY_SENT in _messages(second)

    # A new rendering of the form has a new token: that one is done again.
    if form in REPEATABLE:
        third = client.post(url, {**data(3), FORM_TOKEN_FIELD: new_form_token()})
        assert third.status_code == 302
        assert rows() == before + 2


def test_a_form_with_errors_frees_its_token_and_is_shown_with_a_new_one(survivor_client, case):
    url = reverse("evidence:sighting_add", args=[case.reference])
    token = new_form_token()
    refused = survivor_client.post(url, {"url": "javascript:alert(1)", FORM_TOKEN_FIELD: token})
    assert refused.status_code == 400
    shown = re.findall(rf'name="{FORM_TOKEN_FIELD}" value="([^"]+)"', refused.content.decode())
    assert shown and token not in shown
    assert len(set(shown)) == len(shown)  # one token per form on the page
    # Nothing was done, so the same sending, corrected, goes through.
    fixed = survivor_client.post(url, {"url": "https://x.com/ok", FORM_TOKEN_FIELD: token})
    assert fixed.status_code == 302
    assert Sighting.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sendings_at_the_same_moment_make_one_sighting(survivor):
    """A double tap that reaches two web threads at once: the token is claimed atomically,
    so exactly one of them logs the sighting."""
    from cases.services import case_open

    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    url = reverse("evidence:sighting_add", args=[case.reference])
    token = new_form_token()
    start = threading.Barrier(2)
    answers = []

    def send():
        try:
            client = Client()
            client.force_login(survivor)
            start.wait()
            response = client.post(url, {"url": "https://x.com/twice", FORM_TOKEN_FIELD: token})
            answers.append((response.status_code, _messages(response)))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Sighting.objects.filter(case=case).count() == 1
    assert sorted(status for status, _ in answers) == [302, 302]
    assert sum(ALREADY_SENT in said for _, said in answers) == 1


# --- no 405 page -------------------------------------------------------------------------


@pytest.fixture
def matrix_world(db):
    return World()


def _a_reader(expected_by_role) -> str | None:
    return next((role for role in ROLES if expected_by_role[role] == OK), None)


@pytest.mark.parametrize("name", list(MATRIX))
def test_a_get_to_any_url_of_ours_is_never_a_405(client, matrix_world, name):
    """What a phone sends when it restores a tab: a GET, to every URL, even one that only
    takes a form. A form's URL sends her back to the page the form is on."""
    _method, _data, expected_by_role = MATRIX[name]
    role = _a_reader(expected_by_role)
    if role is None:
        pytest.skip("nobody may use it")  # never the case today; the matrix says who may
    if role != "anonymous":
        client.force_login(matrix_world.users[role])
    response = client.get(matrix_world.url(name), follow=True)
    assert all(status != 405 for _url, status in response.redirect_chain)
    # The form's own page (a view that shows and takes a form), or the page it is on.
    assert response.status_code == 200, (name, response.redirect_chain)


def test_no_view_of_ours_answers_405_by_itself():
    """post_only / sent_once are the one way to take a form: Django's method decorators,
    which answer a GET with a 405, are not used in views of ours."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = [
        str(path.relative_to(root))
        for path in root.glob("*/views.py")
        if re.search(r"require_POST|require_http_methods", path.read_text())
    ]
    assert found == []


# --- the error summary -------------------------------------------------------------------


def test_a_form_with_errors_starts_with_a_summary_linking_each_field(survivor_client, case):
    response = survivor_client.post(
        reverse("evidence:sightings_paste", args=[case.reference]),
        {"urls": "javascript:alert(1)\nfile:///etc/passwd"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', body, re.S)
    assert summary, body
    opening = summary.group(0)
    assert 'role="alert"' in opening and 'tabindex="-1"' in opening
    assert "There is a problem" in summary.group(1)
    links = re.findall(r'<a href="#id_urls">([^<]*)</a>', summary.group(1))
    assert [text.split(":")[0] for text in links] == ["Line 1", "Line 2"]
    # The field says which error describes it.
    assert re.search(r'<textarea[^>]*aria-describedby="id_urls_error"[^>]*id="id_urls"', body)
    assert 'id="id_urls_error"' in body
    assert Sighting.objects.filter(case=case).count() == 0


def test_her_email_settings_sent_twice_are_saved_once(survivor_client, survivor):
    from digests.models import WeeklyStatus

    url = reverse("digests:settings")
    token = new_form_token()
    data = {"enabled": "0", "weekday": "0", "hour": "9", "time_zone": "UTC"}
    first = survivor_client.post(url, {**data, FORM_TOKEN_FIELD: token})
    assert first.status_code == 302
    assert WeeklyStatus.objects.get(user=survivor).enabled is False
    # Turned on again elsewhere (another tab, a new form): the old sending must not undo it.
    WeeklyStatus.objects.filter(user=survivor).update(enabled=True)
    second = survivor_client.post(url, {**data, FORM_TOKEN_FIELD: token})
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert ALREADY_SENT in _messages(second)
    assert WeeklyStatus.objects.get(user=survivor).enabled is True


def test_a_download_may_be_asked_for_again_with_the_same_form(survivor_client, case):
    """Her data comes back as a download, not a redirect: the page stays, and the same form
    may be sent again for another copy."""
    from tests.conftest import PASSWORD

    url = reverse("accounts:export")
    token = new_form_token()
    for _ in range(2):
        response = survivor_client.post(url, {"password": PASSWORD, FORM_TOKEN_FIELD: token})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert ALREADY_SENT not in _messages(response)


# --- the form renderer: Django's templates from their Jinja2 copies -----------------------


def _normalised(html: str) -> str:
    # Jinja2 escapes an apostrophe as &#39;, the template language as &#x27;; and the two
    # copies lay out their whitespace differently.
    return re.sub(r"\s+", "", html.replace("&#x27;", "&#39;"))


@pytest.mark.parametrize("form_path", ["cases.forms.TriageForm", "cases.forms.NoteForm"])
def test_forms_render_the_same_html_from_the_jinja2_copies(form_path):
    from django.forms.renderers import DjangoTemplates
    from django.utils.module_loading import import_string

    from leakcase.forms import FormRenderer

    form_class = import_string(form_path)
    jinja2 = form_class(renderer=FormRenderer()).render()
    django_templates = form_class(renderer=DjangoTemplates()).render()
    assert "<select" in jinja2 or "<textarea" in jinja2
    assert _normalised(jinja2) == _normalised(django_templates)


def test_the_renderer_takes_django_s_widgets_from_jinja2_and_the_admin_s_as_before():
    from django.contrib.admin.widgets import AdminDateWidget
    from django.template.backends.jinja2 import Template as Jinja2Template

    from leakcase.forms import FormRenderer

    renderer = FormRenderer()
    assert isinstance(renderer.get_template("django/forms/widgets/text.html"), Jinja2Template)
    # The admin's widgets have no Jinja2 copy: still drawn (the admin's change forms).
    html = AdminDateWidget().render("day", None, renderer=renderer)
    assert 'class="vDateField"' in html
