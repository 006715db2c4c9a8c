"""Two survivors with a full case each (sightings, evidence, a reference image, notes, a sent
request): what her export must hold and her erasure must leave nothing of."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.services import (
    case_assign,
    case_open,
    case_set_consent,
    case_set_notice_contact,
    note_add,
)
from evidence.demo_images import make_image
from evidence.services import evidence_add, reference_register, sightings_log_pasted
from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft


def _fill_case(owner, caseworker, *, name, urls, seed):
    case = case_open(survivor=owner, pseudonym=name, acting_user=owner)
    # She consents, and chooses her own address for notices (it is in the one below).
    case_set_consent(case=case, given=True, acting_user=owner)
    case_set_notice_contact(case=case, notice_contact="own_email", acting_user=owner)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sightings = sightings_log_pasted(case=case, text="\n".join(urls), acting_user=owner).saved
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile(f"IMG_{name}.jpg", make_image(seed=seed)),
        acting_user=owner,
        sighting=sightings[0],
    )
    reference = reference_register(case=case, data=make_image(seed=seed + 1), acting_user=owner)
    note_add(case=case, body=f"SHARED-{name}", visibility="shared", acting_user=caseworker)
    note_add(case=case, body=f"INTERNAL-{name}", visibility="internal", acting_user=caseworker)
    (request,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        signer_name=f"Signer {name}",
        contact_email=owner.email,
        content_description="photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    takedown_mark_submitted(takedown=request, ticket_number=f"T-{name}", acting_user=caseworker)
    return case, evidence, reference


@pytest.fixture
def two_survivors(survivor, other_survivor, caseworker):
    mine = _fill_case(
        survivor,
        caseworker,
        name="Rose",
        urls=["https://x.com/rose/1", "https://imgur.com/r1"],
        seed=1,
    )
    theirs = _fill_case(
        other_survivor, caseworker, name="Iris", urls=["https://x.com/iris/1"], seed=50
    )
    return mine, theirs
