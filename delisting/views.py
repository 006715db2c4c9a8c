"""A link in search results: what she or staff saw, and staff's requests to the engines.
Each form posts here and goes back to the link's page with a message."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from access.permissions import listed_sighting_for_user, login_required, staff_required
from delisting import services
from delisting.engines import ENGINES, SearchEngine
from leakcase.forms import post_only

BACK = ("evidence:sighting_detail", ("reference", "sighting_id"))


def _sighting(request, reference, sighting_id, engine):
    if engine not in SearchEngine.values:
        raise Http404("No such search engine")
    return listed_sighting_for_user(request.user, reference, sighting_id)


def _back(sighting):
    return redirect(
        "evidence:sighting_detail", reference=sighting.case.reference, sighting_id=sighting.pk
    )


def _refused(request, sighting, error: ValidationError):
    messages.error(request, " ".join(error.messages))
    return _back(sighting)


@login_required
@post_only(BACK[0], back_kwargs=BACK[1])
def listing_record(request, reference, sighting_id, engine):
    """She or staff searched for the address: does the engine show it?"""
    sighting = _sighting(request, reference, sighting_id, engine)
    answer = request.POST.get("listed")
    if answer not in ("yes", "no"):
        messages.error(request, _("Nothing was changed: say whether it shows in the results."))
        return _back(sighting)
    try:
        services.search_listing_record(
            sighting=sighting, engine=engine, listed=answer == "yes", acting_user=request.user
        )
    except ValidationError as error:
        return _refused(request, sighting, error)
    name = ENGINES[engine].name
    if answer == "yes":
        said = _("Thank you. Saved: it shows in %(engine)s results.")
    else:
        said = _("Thank you. Saved: it is not in %(engine)s results.")
    messages.success(request, said % {"engine": name})
    return _back(sighting)


@staff_required
@post_only(BACK[0], back_kwargs=BACK[1])
def delisting_draft(request, reference, sighting_id, engine):
    sighting = _sighting(request, reference, sighting_id, engine)
    try:
        draft = services.delisting_draft(
            sighting=sighting, engine=engine, acting_user=request.user
        )
    except ValidationError as error:
        return _refused(request, sighting, error)
    messages.success(
        request,
        f"A delisting request to {ENGINES[engine].name} is drafted. Add the search results' "
        "addresses, then send it through the engine's form.",
    )
    return redirect("takedowns:detail", reference=reference, takedown_id=draft.pk)


@staff_required
@post_only(BACK[0], back_kwargs=BACK[1])
def delisting_done(request, reference, sighting_id, engine):
    sighting = _sighting(request, reference, sighting_id, engine)
    try:
        services.delisting_mark_done(sighting=sighting, engine=engine, acting_user=request.user)
    except ValidationError as error:
        return _refused(request, sighting, error)
    messages.success(request, f"Marked as dropped from {ENGINES[engine].name} results.")
    return _back(sighting)


@staff_required
@post_only(BACK[0], back_kwargs=BACK[1])
def outdated_removal(request, reference, sighting_id, engine):
    sighting = _sighting(request, reference, sighting_id, engine)
    try:
        services.outdated_removal_record(
            sighting=sighting, engine=engine, acting_user=request.user
        )
    except ValidationError as error:
        return _refused(request, sighting, error)
    messages.success(
        request, f"Recorded: {ENGINES[engine].name} was asked to drop the outdated result."
    )
    return _back(sighting)
