"""Who gets what from every URL of ours: the answer for each role, from the URL resolver.

A new view of ours without an entry in MATRIX fails test_every_url_of_ours_is_in_the_matrix,
so nobody adds a page without deciding who may see it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role, User
from cases.services import case_assign, case_open, case_open_for_caller, invitation_issue, note_add
from digests.messages import unsubscribe_token
from digests.models import EmailKind, EmailStatus, OutgoingEmail
from evidence.demo_images import make_image
from evidence.models import EvidenceMatch
from evidence.services import evidence_add, reference_register, sighting_log
from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft
from tests.conftest import PASSWORD, give_totp

OK, LOGIN = "ok", "login"  # ok: 200, or a redirect that is not to the login page
ROLES = (
    "owner",
    "other_survivor",
    "assigned_caseworker",
    "other_caseworker",
    "supervisor",
    "anonymous",
)
OUR_APPS = ("cases.", "evidence.", "takedowns.", "accounts.", "leakcase.", "digests.", "audit.")


def _by_role(owner, other_survivor, assigned, other_caseworker, supervisor, anonymous):
    return dict(
        zip(
            ROLES,
            (owner, other_survivor, assigned, other_caseworker, supervisor, anonymous),
            strict=True,
        )
    )


CASE_READERS = _by_role(OK, 404, OK, 404, OK, LOGIN)
STAFF_ON_CASE = _by_role(404, 404, OK, 404, OK, LOGIN)
STAFF_ONLY = _by_role(404, 404, OK, OK, OK, LOGIN)
SIGNED_IN = _by_role(OK, OK, OK, OK, OK, LOGIN)
EVERYONE = _by_role(OK, OK, OK, OK, OK, OK)
SUPERVISORS = _by_role(404, 404, 404, 404, OK, LOGIN)
SURVIVORS = _by_role(OK, OK, 404, 404, 404, LOGIN)


def _image():
    return SimpleUploadedFile("shot.jpg", make_image(seed=1), content_type="image/jpeg")


# name -> (method, form data (a callable for fresh files), expected answer by role)
MATRIX = {
    "home": ("GET", {}, EVERYONE),
    # Health for load balancers: counts only, open to all (503 when behind is still an answer).
    "healthz": ("GET", {}, _by_role(*(OK,) * 6)),
    "cases:list": ("GET", {}, SIGNED_IN),
    "cases:open": ("GET", {}, SIGNED_IN),
    "cases:open_for_caller": ("GET", {}, STAFF_ONLY),
    "cases:caseload": ("GET", {}, STAFF_ONLY),
    "cases:caseload_assign": ("POST", lambda w: {"case": [w.case.reference]}, STAFF_ONLY),
    # The token is the key: anyone holding it may see the claim page; staff may not claim.
    "cases:claim": ("GET", {}, _by_role(OK, OK, 400, 400, 400, OK)),
    "cases:detail": ("GET", {}, CASE_READERS),
    "cases:triage": ("POST", {"priority": "high"}, STAFF_ON_CASE),
    "cases:status": ("POST", {"status": "monitoring"}, STAFF_ON_CASE),
    "cases:assign": ("POST", {"action": "release"}, STAFF_ON_CASE),
    "cases:note_add": ("POST", {"body": "n", "visibility": "internal"}, STAFF_ON_CASE),
    "cases:invitation": ("POST", {}, STAFF_ON_CASE),
    "evidence:sighting_add": ("POST", {"url": "https://x.com/new"}, CASE_READERS),
    "evidence:sightings_paste": ("POST", {"urls": "https://x.com/p1"}, CASE_READERS),
    "evidence:sighting_detail": ("GET", {}, CASE_READERS),
    "evidence:upload": ("POST", lambda w: {"image": _image()}, CASE_READERS),
    "evidence:detail": ("GET", {}, CASE_READERS),
    "evidence:file": ("GET", {}, CASE_READERS),
    "evidence:references": ("GET", {}, CASE_READERS),
    "evidence:reference_delete": ("POST", {}, CASE_READERS),
    "evidence:match_confirm": ("POST", {}, CASE_READERS),
    "evidence:bundle": ("GET", {}, CASE_READERS),
    "evidence:crop": ("POST", {"left": 0, "top": 0, "right": 100, "bottom": 100}, CASE_READERS),
    "accounts:export": ("GET", {}, SURVIVORS),
    "accounts:erase": ("GET", {}, SURVIVORS),
    "accounts:security": ("GET", {}, SIGNED_IN),
    # Ends her other sessions (there are none here): a redirect back for everyone signed in.
    "accounts:session_end": ("POST", {"others": "1"}, SIGNED_IN),
    "takedowns:draft": ("POST", lambda w: {"sightings": [str(w.sighting.pk)]}, CASE_READERS),
    "takedowns:detail": ("GET", {}, CASE_READERS),
    "takedowns:edit": (
        "POST",
        {"legal_basis": "platform_policy", "signer_name": "R", "signer_capacity": "self"},
        CASE_READERS,
    ),
    "takedowns:send": ("POST", {}, CASE_READERS),
    "takedowns:submitted": ("POST", {"ticket_number": "T-1"}, CASE_READERS),
    # These act on a request already sent (a DMCA one, for the counter-notice).
    "takedowns:reply": ("POST", {"body": "Received.", "decision": "acknowledged"}, CASE_READERS),
    "takedowns:counter_notice": ("POST", {"received_on": "2026-11-02"}, CASE_READERS),
    "takedowns:escalate": ("POST", {"to": "Hosting provider"}, CASE_READERS),
    "platforms:list": ("GET", {}, STAFF_ONLY),
    "platforms:new": ("GET", {}, SUPERVISORS),
    "platforms:edit": ("GET", {}, SUPERVISORS),
    "platforms:figures": ("GET", {}, SUPERVISORS),
    "digests:settings": ("GET", {}, SIGNED_IN),
    # The signed token is the key: a one-click unsubscribe works without logging in.
    "digests:unsubscribe": ("GET", {}, EVERYONE),
    "digests:preview": ("GET", {}, STAFF_ONLY),
    "digests:preview_html": ("GET", {}, STAFF_ONLY),
    "digests:outbox": ("GET", {}, SUPERVISORS),
    "digests:send_again": ("POST", {}, SUPERVISORS),
    "audit:trail": ("GET", {}, SUPERVISORS),
}
SENT_TAKEDOWN_URLS = {"takedowns:reply", "takedowns:counter_notice", "takedowns:escalate"}


def _our_urls(patterns=None, namespace="", params=()):
    """(name, URL parameter names) of every pattern whose view is ours, include()s followed."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        found = (*params, *entry.pattern.converters)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _our_urls(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern) and entry.callback.__module__.startswith(OUR_APPS):
            yield f"{namespace}{entry.name}", found


def test_every_url_of_ours_is_in_the_matrix():
    assert {name for name, _ in _our_urls()} == set(MATRIX)


class World:
    """A survivor's case assigned to a caseworker, with a sighting, evidence and a note."""

    def __init__(self):
        def make(email, role):
            user = User.objects.create_user(email=email, password=PASSWORD, role=role)
            if role != Role.SURVIVOR:
                give_totp(user)  # staff reach nothing without a second factor
            return user

        self.users = {
            "owner": make("owner@example.test", Role.SURVIVOR),
            "other_survivor": make("other@example.test", Role.SURVIVOR),
            "assigned_caseworker": make("cw1@example.test", Role.CASEWORKER),
            "other_caseworker": make("cw2@example.test", Role.CASEWORKER),
            "supervisor": make("sup@example.test", Role.SUPERVISOR),
        }
        owner, assigned = self.users["owner"], self.users["assigned_caseworker"]
        self.case = case_open(survivor=owner, pseudonym="Rose", acting_user=owner)
        case_assign(case=self.case, to=assigned, acting_user=assigned)
        self.sighting = sighting_log(case=self.case, url="https://x.com/a", acting_user=owner)
        self.evidence = evidence_add(case=self.case, upload=_image(), acting_user=owner)
        self.reference = reference_register(
            case=self.case, data=make_image(seed=2), acting_user=owner, label="r"
        )
        self.match = EvidenceMatch.objects.create(
            evidence=self.evidence, reference=self.reference, phash_distance=0, dhash_distance=0
        )
        self.note = note_add(
            case=self.case, body="internal", visibility="internal", acting_user=assigned
        )
        caller_case = case_open_for_caller(
            pseudonym="Caller",
            contact_email="c@example.test",
            acting_user=self.users["supervisor"],
        )
        self.token = invitation_issue(case=caller_case, acting_user=self.users["supervisor"])
        (self.draft,) = takedowns_draft(
            case=self.case, sightings=[self.sighting], acting_user=owner
        )
        complete = {
            "signer_name": "Rose Example",
            "contact_email": "rose@example.test",
            "contact_phone": "+1 555 0100",
            "content_description": "Two intimate photos of me.",
            "confirms_no_consent": True,
            "confirms_good_faith": True,
        }
        takedown_update_draft(
            takedown=self.draft, acting_user=owner, recipient_email="abuse@x.example", **complete
        )
        second = sighting_log(
            case=self.case, url="https://www.reddit.com/r/x/1", acting_user=owner
        )
        (self.sent,) = takedowns_draft(case=self.case, sightings=[second], acting_user=owner)
        takedown_update_draft(
            takedown=self.sent,
            acting_user=owner,
            legal_basis="dmca",
            copyright_work="Photos I took of myself.",
            confirms_accuracy=True,
            confirms_perjury=True,
            confirms_copyright_owner=True,
            **complete,
        )
        takedown_mark_submitted(takedown=self.sent, ticket_number="R-1", acting_user=owner)
        self.failed_email = OutgoingEmail.objects.create(
            user=owner,
            kind=EmailKind.SURVIVOR_WEEKLY,
            scheduled_for=timezone.now(),
            status=EmailStatus.FAILED,
        )

    def url(self, name):
        takedown = self.sent if name in SENT_TAKEDOWN_URLS else self.draft
        values = {
            "takedown_id": takedown.pk,
            "reference_id": self.reference.pk,
            "match_id": self.match.pk,
            "slug": "reddit",
            "reference": self.case.reference,
            "sighting_id": self.sighting.pk,
            "evidence_id": self.evidence.pk,
            "rendition": "image",
            "token": self.token,
            "unsubscribe_token": unsubscribe_token(self.users["owner"].pk),
            "email_id": self.failed_email.pk,
        }
        params = dict(_our_urls())[name]
        return reverse(name, kwargs={key: values[key] for key in params})


@pytest.fixture
def world(db):
    return World()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_access(client, world, name, role):
    method, data, expected_by_role = MATRIX[name]
    if role != "anonymous":
        client.force_login(world.users[role])
    url = world.url(name)
    payload = data(world) if callable(data) else data
    response = client.post(url, payload) if method == "POST" else client.get(url)
    expected = expected_by_role[role]
    login_url = reverse("account_login")
    if expected == LOGIN:
        assert response.status_code == 302, (name, role, response.status_code)
        assert response["Location"].startswith(login_url), (name, role)
    elif expected == OK:
        assert response.status_code in (200, 302), (name, role, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(login_url), (name, role)
    else:
        assert response.status_code == expected, (name, role, response.status_code)
