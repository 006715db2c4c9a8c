import pytest

from evidence.services import sighting_log
from takedowns.models import CorrespondenceKind
from takedowns.services import takedown_send_email, takedown_update_draft, takedowns_draft

NOTICE = {
    "signer_name": "Rose Example",
    "contact_email": "rose@example.test",
    "content_description": "Two intimate photos.",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}
DMCA_NOTICE = {
    **NOTICE,
    "legal_basis": "dmca",
    "copyright_work": "Photos she took of herself.",
    "contact_address": "1 Example Street",
    "confirms_accuracy": True,
    "confirms_perjury": True,
    "confirms_copyright_owner": True,
}


def email_request(case, caseworker, url="https://www.dropbox.com/s/one/a.jpg", **fields):
    """A request to the platform of `url` emailed through the outbox: its notice carries
    our Message-ID, its Reply-To the request's own address."""
    sighting = sighting_log(case=case, url=url, acting_user=case.survivor)
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **(fields or NOTICE))
    takedown_send_email(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def emailed_request(case, caseworker, consent, mailoutbox):
    return email_request(case, caseworker)


@pytest.fixture
def notice(emailed_request):
    return emailed_request.correspondence.get(kind=CorrespondenceKind.NOTICE)
