"""A link's page and what people say about it: a caseworker sets its status with a reason;
she says "I checked: still up" or "It's gone", corrects a link she logged, or removes it
from her list. The page with a form that needs fixing is shown again with the form bound.
These write across apps (a removal she saw can close a request), so they live in casework,
like the case page's own forms; the URL names stay evidence:... (leakcase/urls.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET

from access.permissions import listed_sighting_for_user, login_required
from casework import services
from delisting.selectors import listings_for
from evidence.forms import SightingCorrectForm, SightingReportForm, SightingStatusForm
from evidence.models import SightingStatus
from evidence.status_words import status_words
from leakcase.forms import add_validation_errors, post_only
from leakcase.locking import StateChanged
from monitoring.models import Outcome
from takedowns.selectors import any_sent, requests_naming

NOTHING_CHANGED = gettext_lazy("Nothing was changed. The form below says what needs fixing.")


def _sighting(request, reference, sighting_id):
    """The link, through its case; one she removed from her list is gone from her view."""
    return listed_sighting_for_user(request.user, reference, sighting_id)


def render_sighting_page(request, sighting, *, status=200, **forms):
    user = request.user
    requests = requests_naming(sighting)
    for takedown in requests:
        takedown.detail_url = reverse(
            "takedowns:detail", args=[sighting.case.reference, takedown.pk]
        )
    in_sent_request = any_sent(requests)
    context = {
        "case": sighting.case,
        "sighting": sighting,
        "words": status_words(sighting, for_staff=user.is_support_staff),
        "last_check": (
            Outcome(sighting.last_check_outcome).label if sighting.last_check_outcome else ""
        ),
        "evidence_files": list(sighting.evidence_files.all()),
        "requests": requests,
        "in_sent_request": in_sent_request,
        "status_form": SightingStatusForm() if user.is_support_staff else None,
        "report_form": None if user.is_support_staff else SightingReportForm(),
        "correct_form": SightingCorrectForm(sighting=sighting, address_locked=in_sent_request),
        "search_listings": listings_for(sighting, for_staff=user.is_support_staff),
    }
    context.update(forms)
    if status == 400:
        messages.error(request, NOTHING_CHANGED)
    return render(request, "evidence/sighting_detail.html", context, status=status)


def _back(sighting):
    return redirect(
        "evidence:sighting_detail", reference=sighting.case.reference, sighting_id=sighting.pk
    )


@login_required
@require_GET
def sighting_detail(request, reference, sighting_id):
    return render_sighting_page(request, _sighting(request, reference, sighting_id))


@login_required
@post_only("evidence:sighting_detail", back_kwargs=("reference", "sighting_id"))
def sighting_status(request, reference, sighting_id):
    """Staff: up or removed, with a reason. Her: "I checked: still up" or "It's gone"."""
    sighting = _sighting(request, reference, sighting_id)
    if sighting.withdrawn_at is not None:
        messages.error(
            request, gettext("She removed this link from her list; its status stays as it was.")
        )
        return _back(sighting)
    by_staff = request.user.is_support_staff
    form = (SightingStatusForm if by_staff else SightingReportForm)(request.POST)
    form_name = "status_form" if by_staff else "report_form"
    if form.is_valid():
        if by_staff:
            status, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
        else:
            gone = form.cleaned_data["seen"] == "gone"
            status = SightingStatus.REMOVED if gone else SightingStatus.LIVE
            reason = form.cleaned_data["words"]
        try:
            services.sighting_status_set(
                sighting=sighting, status=status, acting_user=request.user, reason=reason
            )
        except StateChanged as error:
            messages.error(request, " ".join(error.messages))
            return _back(sighting)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _status_done(by_staff, status))
            return _back(sighting)
    return render_sighting_page(request, sighting, status=400, **{form_name: form})


def _status_done(by_staff: bool, status: str) -> str:
    if by_staff:
        if status == "removed":
            return gettext("The link is marked removed.")
        return gettext("The link is marked up.")
    if status == SightingStatus.REMOVED:
        return (
            "Thank you. The link is marked as gone; our automatic check looks again to "
            "confirm, and keeps checking in case it comes back."
        )
    return gettext("Thank you. The link stays up on your case, and your caseworker can act on it.")


@login_required
@post_only("evidence:sighting_detail", back_kwargs=("reference", "sighting_id"))
def sighting_correct(request, reference, sighting_id):
    sighting = _sighting(request, reference, sighting_id)
    requests = requests_naming(sighting)
    form = SightingCorrectForm(
        request.POST,
        sighting=sighting,
        address_locked=any_sent(requests),
        initial={"url": sighting.url},
    )
    if form.is_valid():
        try:
            services.sighting_correct(
                sighting=sighting, acting_user=request.user, **form.cleaned_data
            )
        except StateChanged as error:
            messages.error(request, " ".join(error.messages))
            return redirect("cases:detail", reference=reference)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, gettext("The link is corrected."))
            return _back(sighting)
    return render_sighting_page(request, sighting, status=400, correct_form=form)


@login_required
@post_only("cases:detail")
def sighting_withdraw(request, reference, sighting_id):
    sighting = _sighting(request, reference, sighting_id)
    services.sighting_withdraw(sighting=sighting, acting_user=request.user)
    messages.success(
        request,
        gettext(
            "The link is removed from your list. Its evidence and any request that named it "
            "are kept."
        ),
    )
    return redirect(f"{reverse('cases:detail', args=[reference])}#sightings-heading")
