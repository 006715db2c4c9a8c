"""One case with everything on it, for tests that walk every page (the header crawl, the log
canaries): the shared fixture users (survivor, other survivor, caseworker, supervisor), the
caseworker assigned, a sighting, evidence, an image to find and a possible copy, a note,
a claim link for a caller's case, a draft and a sent takedown request."""

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from audit.middleware import OUR_APPS as AUDITED_APPS
from cases.services import (
    case_assign,
    case_open,
    case_open_for_caller,
    case_set_consent,
    invitation_issue,
    note_add,
)
from digests.messages import unsubscribe_token
from evidence.demo_images import make_image
from evidence.models import EvidenceMatch
from evidence.services import evidence_add, reference_register, sighting_log
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from takedowns.services import (
    takedown_approve_recipient,
    takedown_mark_submitted,
    takedown_update_draft,
    takedowns_draft,
)

# Our apps as the audit middleware knows them, and the project package (/healthz).
OUR_APPS = (*AUDITED_APPS, "leakcase.")
SENT_TAKEDOWN_URLS = {
    "takedowns:reply",
    "takedowns:counter_notice",
    "takedowns:escalate",
    "takedowns:confirm_decision",
}


def our_urls(patterns=None, namespace="", params=()):
    """(name, URL parameter names) of every pattern whose view is ours, include()s followed."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        found = (*params, *entry.pattern.converters)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from our_urls(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern) and entry.callback.__module__.startswith(OUR_APPS):
            yield f"{namespace}{entry.name}", found


def image(seed=1, name="shot.jpg"):
    return SimpleUploadedFile(name, make_image(seed=seed), content_type="image/jpeg")


class CaseWorld:
    def __init__(
        self,
        *,
        survivor,
        other_survivor,
        caseworker,
        supervisor,
        pseudonym="Rose",
        sighting_url="https://x.com/a",
        note="internal",
        contact_email="c@example.test",
        contact_details=None,
    ):
        self.users = {
            "survivor": survivor,
            "other_survivor": other_survivor,
            "caseworker": caseworker,
            "supervisor": supervisor,
        }
        self.case = case_open(survivor=survivor, pseudonym=pseudonym, acting_user=survivor)
        # She lets LeakCase write to platforms for her, so every takedown page can send.
        case_set_consent(case=self.case, given=True, acting_user=survivor)
        case_assign(case=self.case, to=caseworker, acting_user=caseworker)
        self.sighting = sighting_log(case=self.case, url=sighting_url, acting_user=survivor)
        self.evidence = evidence_add(case=self.case, upload=image(1), acting_user=survivor)
        self.reference = reference_register(
            case=self.case, data=make_image(seed=2), acting_user=survivor, label="r"
        )
        self.match = EvidenceMatch.objects.create(
            evidence=self.evidence, reference=self.reference, phash_distance=0, dhash_distance=0
        )
        self.note = note_add(
            case=self.case, body=note, visibility="internal", acting_user=caseworker
        )
        caller_case = case_open_for_caller(
            pseudonym="Caller", contact_email=contact_email, acting_user=supervisor
        )
        self.token = invitation_issue(case=caller_case, acting_user=supervisor)
        (self.draft,) = takedowns_draft(
            case=self.case, sightings=[self.sighting], acting_user=survivor
        )
        complete = {
            "signer_name": "Rose Example",
            "contact_email": "rose@example.test",
            "contact_phone": "+1 555 0100",
            "content_description": "Two photos of me.",
            "confirms_no_consent": True,
            "confirms_good_faith": True,
            **(contact_details or {}),
        }
        takedown_update_draft(
            takedown=self.draft,
            acting_user=survivor,
            recipient_email="abuse@x.example",
            **complete,
        )
        # Not in the platform directory: the caseworker has checked and approved it.
        takedown_approve_recipient(takedown=self.draft, acting_user=caseworker)
        second = sighting_log(
            case=self.case, url="https://www.reddit.com/r/x/1", acting_user=survivor
        )
        (self.sent,) = takedowns_draft(case=self.case, sightings=[second], acting_user=survivor)
        takedown_update_draft(
            takedown=self.sent,
            acting_user=survivor,
            legal_basis="dmca",
            copyright_work="Photos I took of myself.",
            confirms_accuracy=True,
            confirms_perjury=True,
            confirms_copyright_owner=True,
            **complete,
        )
        takedown_mark_submitted(takedown=self.sent, ticket_number="R-1", acting_user=survivor)
        self.failed_email = OutgoingEmail.objects.create(
            user=survivor,
            kind=EmailKind.SURVIVOR_WEEKLY,
            scheduled_for=timezone.now(),
            status=EmailStatus.FAILED,
        )

    def kwargs_for(self, name, params, *, strict=False):
        """URL kwargs for `name`. Strict: a parameter this world does not know is an error
        (the access matrix must decide about every new kind of page)."""
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
            "unsubscribe_token": unsubscribe_token(self.case.survivor_id),
            "email_id": self.failed_email.pk,
            "engine": "google",
        }
        if strict:
            return {key: values[key] for key in params}
        # A parameter this world does not know yet still gets a well-formed value: the page
        # then answers 404, which must carry the same headers.
        return {key: values.get(key, uuid.uuid4()) for key in params}

    def url(self, name, params, *, strict=False):
        return reverse(name, kwargs=self.kwargs_for(name, params, strict=strict))
