import pytest

from evidence.services import sighting_log
from takedowns.models import CorrespondenceKind
from takedowns.services import takedown_send_email, takedown_update_draft, takedowns_draft


@pytest.fixture
def emailed_request(case, caseworker, consent, mailoutbox):
    """A request to Dropbox emailed through the outbox: its notice has our Message-ID."""
    sighting = sighting_log(
        case=case, url="https://www.dropbox.com/s/one/a.jpg", acting_user=case.survivor
    )
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose Example",
        contact_email="rose@example.test",
        content_description="Two intimate photos.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    takedown_send_email(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def notice(emailed_request):
    return emailed_request.correspondence.get(kind=CorrespondenceKind.NOTICE)
