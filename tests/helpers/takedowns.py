"""Takedown requests in the states tests start from, made through the services."""


def sent_request(case, sighting, caseworker):
    """A request for one sighting, marked submitted through a web form, with her consent."""
    from cases.services import case_set_consent
    from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft

    case_set_consent(case=case, given=True, acting_user=case.survivor)
    (request,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        signer_name="R",
        contact_email="r@example.test",
        content_description="photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
        recipient_email="abuse@example.test",
    )
    return takedown_mark_submitted(takedown=request, ticket_number="T", acting_user=caseworker)
