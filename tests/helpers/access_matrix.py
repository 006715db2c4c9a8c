"""The access matrix: for every URL of ours, the answer each role gets (tests/test_access_matrix.py
walks it; other modules walk its URLs too)."""

from accounts.models import Role, User
from tests.case_world import CaseWorld, image, our_urls
from tests.conftest import PASSWORD, give_totp

# ok: the page (200) for a GET; for a POST, the redirect back that follows a change (302).
# elsewhere: a GET sent on to another page of ours (302, not to the login page), as staff
# opening a survivor's page are. page: a POST answered with a page (200); none today, as
# every form POST ends in a redirect (a pasted list's results too). One answer each, so a
# form error can never pass for a change made.
OK, ELSEWHERE, PAGE, LOGIN = "ok", "elsewhere", "page", "login"

ROLES = (
    "owner",
    "other_survivor",
    "assigned_caseworker",
    "other_caseworker",
    "supervisor",
    "anonymous",
)


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

SURVIVOR_PAGES = _by_role(OK, OK, ELSEWHERE, ELSEWHERE, ELSEWHERE, LOGIN)

EVERYONE = _by_role(OK, OK, OK, OK, OK, OK)

SUPERVISORS = _by_role(404, 404, 404, 404, OK, LOGIN)

SURVIVORS = _by_role(OK, OK, 404, 404, 404, LOGIN)

# Drafting and sending requests: staff on the case; she is refused (403, a page saying why)
# while the service's self-service setting is off.
WRITERS = _by_role(403, 404, OK, 404, OK, LOGIN)

# With LEAKCASE_SURVIVOR_SELF_SERVICE on, what the owner gets from those URLs (the world's
# draft is hers: she started it).
SELF_SERVICE_ON = {
    "takedowns:draft": OK,
    "takedowns:edit": OK,
    "takedowns:send": OK,
    "takedowns:submitted": OK,
}

# name -> (method, form data (a callable for fresh files), expected answer by role)
MATRIX = {
    # Signed in, the front page sends each to her own start: cases or caseload.
    "home": ("GET", {}, _by_role(*(ELSEWHERE,) * 5, OK)),
    # Health for load balancers: counts only, open to all (503 when behind is still an answer).
    "healthz": ("GET", {}, _by_role(*(OK,) * 6)),
    # Prometheus's figures: its bearer token (tests/test_metrics.py) or a supervisor; anyone
    # else, signed in or not, the 404 of a page that does not exist (a scraper cannot log in).
    "metrics": ("GET", {}, _by_role(404, 404, 404, 404, OK, 404)),
    "cases:list": ("GET", {}, SURVIVOR_PAGES),
    "cases:open": ("GET", {}, SURVIVOR_PAGES),
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
    # The conversation: she and the staff on her case write in it.
    "cases:message_post": ("POST", {"body": "Hello"}, CASE_READERS),
    # An internal note is not a message of the thread: found by nobody here, back to the case.
    "cases:message_change": (
        "POST",
        lambda w: {"message": w.note.pk, "action": "withdraw"},
        CASE_READERS,
    ),
    # She decides on her case; staff record what she told them (a note says who and when).
    "cases:consent": ("POST", {"consent": "withdraw", "note": "By phone"}, CASE_READERS),
    "cases:notice_contact": (
        "POST",
        {"notice_contact": "service", "note": "By phone"},
        CASE_READERS,
    ),
    # Her case with StopNCII.org or Take It Down: she notes her own, staff record it for her.
    "cases:programme_record": (
        "POST",
        {"programme": "stopncii", "case_number": "SN-1234", "registered_on": "2026-11-03"},
        CASE_READERS,
    ),
    "cases:hash_sharing": ("POST", {"consent": "withdraw", "note": "By phone"}, CASE_READERS),
    # The exchange file is staff's to hand on (without her consent: back to the case page).
    "evidence:hash_export": ("POST", {}, STAFF_ON_CASE),
    "evidence:sighting_add": ("POST", {"url": "https://x.com/new"}, CASE_READERS),
    # The pasted list's results (saved, duplicates, bad lines) are shown on the case page.
    "evidence:sightings_paste": ("POST", {"urls": "https://x.com/p1"}, CASE_READERS),
    "evidence:sighting_detail": ("GET", {}, CASE_READERS),
    # Her "I checked: still up" (seen) and a caseworker's status with a reason, one payload.
    "evidence:sighting_status": (
        "POST",
        {"seen": "up", "status": "live", "reason": "Seen in a private window."},
        CASE_READERS,
    ),
    "evidence:sighting_correct": ("POST", {"url": "https://x.com/corrected"}, CASE_READERS),
    "evidence:sighting_withdraw": ("POST", {}, CASE_READERS),
    # A link in search results: she or staff say what the engine shows; the requests to the
    # engines and what they did are staff's.
    "delisting:record": ("POST", {"listed": "yes"}, CASE_READERS),
    "delisting:draft": ("POST", {}, STAFF_ON_CASE),
    "delisting:done": ("POST", {}, STAFF_ON_CASE),
    "delisting:outdated": ("POST", {}, STAFF_ON_CASE),
    # Not the world's own screenshot (image(1)): the same file twice is refused.
    "evidence:upload": ("POST", lambda w: {"image": image(2)}, CASE_READERS),
    "evidence:detail": ("GET", {}, CASE_READERS),
    "evidence:file": ("GET", {}, CASE_READERS),
    "evidence:references": ("GET", {}, CASE_READERS),
    "evidence:reference_delete": ("POST", {}, CASE_READERS),
    # Only the fingerprints her device computed arrive (static/leakcase/hashing/).
    "evidence:reference_fingerprints": (
        "POST",
        {"phash": "1" * 16, "dhash": "2" * 16, "md5": "a" * 32, "sha256": "b" * 64},
        CASE_READERS,
    ),
    "evidence:match_confirm": ("POST", {}, CASE_READERS),
    "evidence:bundle": ("GET", {}, CASE_READERS),
    "evidence:crop": ("POST", {"left": 0, "top": 0, "right": 100, "bottom": 100}, CASE_READERS),
    "accounts:export": ("GET", {}, SURVIVORS),
    "accounts:erase": ("GET", {}, SURVIVORS),
    "accounts:security": ("GET", {}, SIGNED_IN),
    # Ends her other sessions (there are none here): a redirect back for everyone signed in.
    "accounts:session_end": ("POST", {"others": "1"}, SIGNED_IN),
    # A new link to confirm her login address: back to her dashboard for everyone signed in.
    "accounts:email_verification_send": ("POST", {}, SIGNED_IN),
    # The language picker on every page: anyone, logged in or not; back to the page it was on.
    "accounts:language": ("POST", {"language": "es", "next": "/"}, EVERYONE),
    # Staff write requests; she follows them on her own request page (the same URL as the
    # staff editor, which she never gets). Writing them herself is a service setting, off by
    # default: then she gets a page saying her caseworker writes them (403), nothing changed.
    # SELF_SERVICE_ON below is what she gets with it on.
    "takedowns:draft": ("POST", lambda w: {"sightings": [str(w.sighting.pk)]}, WRITERS),
    "takedowns:detail": ("GET", {}, CASE_READERS),
    "takedowns:edit": (
        "POST",
        {"legal_basis": "platform_policy", "signer_name": "R", "signer_capacity": "self"},
        WRITERS,
    ),
    # Sent only when confirmed: without "confirm", the page asking "Send this notice to ...?".
    "takedowns:send": ("POST", {"confirm": "send"}, WRITERS),
    "takedowns:submitted": ("POST", {"ticket_number": "T-1"}, WRITERS),
    # These act on a request already sent (a DMCA one, for the counter-notice).
    "takedowns:reply": ("POST", {"body": "Received.", "decision": "acknowledged"}, CASE_READERS),
    "takedowns:counter_notice": ("POST", {"received_on": "2026-11-02"}, CASE_READERS),
    "takedowns:escalate": ("POST", {"to": "Hosting provider"}, CASE_READERS),
    # Vouching for an address outside the directory, and confirming an outcome she recorded,
    # are staff's (a refusal, nothing to approve or confirm, still answers with a redirect).
    "takedowns:approve_recipient": ("POST", {}, STAFF_ON_CASE),
    # "Look up again" on who hosts a site outside the directory: staff on the case.
    "takedowns:host_lookup": ("POST", {}, STAFF_ON_CASE),
    "takedowns:confirm_decision": ("POST", {}, STAFF_ON_CASE),
    # Passing over a ladder rung nobody can be asked at is staff's (a refusal, here on a
    # request that is no rung's draft, still answers with a redirect).
    "takedowns:skip_rung": ("POST", {}, STAFF_ON_CASE),
    "platforms:list": ("GET", {}, STAFF_ONLY),
    "platforms:new": ("GET", {}, SUPERVISORS),
    "platforms:edit": ("GET", {}, SUPERVISORS),
    "platforms:figures": ("GET", {}, SUPERVISORS),
    # The ladder's waits and automatic sending are the service's choice: supervisors'.
    "platforms:ladder": ("GET", {}, SUPERVISORS),
    "digests:settings": ("GET", {}, SIGNED_IN),
    "digests:update_notice_settings": ("POST", {"enabled": "0"}, SIGNED_IN),
    # The signed token is the key: a one-click unsubscribe works without logging in.
    "digests:unsubscribe": ("GET", {}, EVERYONE),
    "digests:preview": ("GET", {}, STAFF_ONLY),
    "digests:preview_html": ("GET", {}, STAFF_ONLY),
    "outbox:outbox": ("GET", {}, SUPERVISORS),
    "outbox:send_again": ("POST", {}, SUPERVISORS),
    "audit:trail": ("GET", {}, SUPERVISORS),
    # Mail providers' inbound webhooks (inbound/webhooks.py): a provider's signature or basic
    # auth is the key, never a login. Off, a 404 for everyone, while their secrets are unset,
    # as here; tests/inbound/test_webhooks.py posts signed and unsigned ones with them set.
    "inbound_webhooks:mailgun": ("POST", {}, _by_role(*(404,) * 6)),
    "inbound_webhooks:mailersend": ("POST", {}, _by_role(*(404,) * 6)),
    "inbound_webhooks:postmark": ("POST", {}, _by_role(*(404,) * 6)),
    "inbound_webhooks:sendgrid": ("POST", {}, _by_role(*(404,) * 6)),
    # Mail that came back (inbound/): staff only. The inbox is shared by all staff; a
    # message filed on a request, its downloads and its confirmation go through the case.
    "inbound:inbox": ("GET", {}, STAFF_ONLY),
    "inbound:message": ("GET", {}, STAFF_ON_CASE),
    "inbound:raw": ("GET", {}, STAFF_ON_CASE),
    "inbound:attachment": ("GET", {}, STAFF_ON_CASE),
    "inbound:confirm": ("POST", {}, STAFF_ON_CASE),
    # Already filed (on the world's sent request): refused in words, back to the message.
    "inbound:file": (
        "POST",
        lambda w: {"takedown": str(w.sent.pk), "reference": w.case.reference},
        STAFF_ON_CASE,
    ),
}


class World(CaseWorld):
    """A survivor's case assigned to a caseworker, with a sighting, evidence, a note,
    takedowns and a failed weekly email (tests/case_world.py), and a second caseworker."""

    def __init__(self):
        def make(email, role):
            user = User.objects.create_user(email=email, password=PASSWORD, role=role)
            if role != Role.SURVIVOR:
                give_totp(user)  # staff reach nothing without a second factor
            return user

        users = {
            "owner": make("owner@example.test", Role.SURVIVOR),
            "other_survivor": make("other@example.test", Role.SURVIVOR),
            "assigned_caseworker": make("cw1@example.test", Role.CASEWORKER),
            "other_caseworker": make("cw2@example.test", Role.CASEWORKER),
            "supervisor": make("sup@example.test", Role.SUPERVISOR),
        }
        super().__init__(
            survivor=users["owner"],
            other_survivor=users["other_survivor"],
            caseworker=users["assigned_caseworker"],
            supervisor=users["supervisor"],
        )
        self.users = users  # by the matrix's role names
        # A platform's answer by email, filed on the sent request by its reply address,
        # with a file attached.
        from inbound.services import inbound_receive
        from tests.helpers import mail

        answer = mail.with_attachment(
            mail.reply_to_request(self.sent, body="We have removed the content."),
            "decision.pdf",
            b"%PDF-1.4 decision",
            "application/pdf",
        )
        self.inbound = inbound_receive(raw=answer.as_bytes(), source="imap:INBOX")
        self.attachment = self.inbound.attachments.get()

    def kwargs_for(self, name, params, *, strict=False):
        ours = {"message_id": self.inbound.pk, "attachment_id": self.attachment.pk}
        others = [p for p in params if p not in ours]
        return {
            **super().kwargs_for(name, others, strict=strict),
            **{key: value for key, value in ours.items() if key in params},
        }

    def url(self, name):
        return super().url(name, dict(our_urls())[name], strict=True)
