from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from access.permissions import case_for_user, login_required, staff_required
from cases.update_notices import update_notice_set, update_notice_settings_for
from digests import services
from digests.forms import UpdateNoticeForm, WeeklyStatusForm
from digests.messages import digest_message, user_id_for_unsubscribe_token, weekly_subject
from digests.selectors import digest_counts, digest_kind_for
from leakcase.forms import post_only, sent_once
from outbox.models import OutgoingEmail

# The HTML preview is an email, with the inline styles mail clients need and nothing else:
# no script, no images, no requests anywhere.
EMAIL_PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@login_required
@sent_once
def weekly_status_settings(request):
    status = services.weekly_status_for(request.user)
    initial = {
        "enabled": "1" if status.enabled else "0",
        "weekday": status.weekday,
        "hour": status.hour,
        "time_zone": status.time_zone,
        "quiet_weeks": status.quiet_weeks,
    }
    form = WeeklyStatusForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        status = services.weekly_status_update(user=request.user, **form.cleaned_data)
        if status.enabled:
            messages.success(request, "Saved. Your next weekly email is shown below.")
        else:
            messages.success(request, "Saved. You will not get weekly emails.")
        return redirect("digests:settings")
    return render(
        request,
        "digests/settings.html",
        {
            "form": form,
            "status": status,
            "survivor": request.user.is_survivor,
            "subject": weekly_subject(),
            "update_notice_form": UpdateNoticeForm(
                initial={
                    "enabled": "1" if update_notice_settings_for(request.user).enabled else "0"
                }
            ),
        },
    )


@login_required
@post_only("digests:settings", back_kwargs=())
def update_notice_settings(request):
    """Her "You have an update" emails on or off; back to the settings page either way."""
    form = UpdateNoticeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was changed: choose yes or never.")
        return redirect("digests:settings")
    enabled = form.cleaned_data["enabled"]
    update_notice_set(user=request.user, enabled=enabled)
    if enabled:
        messages.success(request, "Saved. We email you when there is a new message.")
    else:
        messages.success(request, "Saved. You will not get emails about new messages.")
    return redirect("digests:settings")


@csrf_exempt  # the signed token is the credential; mail clients POST here (RFC 8058)
@sent_once
def unsubscribe(request, unsubscribe_token):
    user_id = user_id_for_unsubscribe_token(unsubscribe_token)
    if user_id is None:
        return render(request, "digests/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        services.weekly_status_unsubscribe(user_id=user_id)
        return render(request, "digests/unsubscribed.html")
    # A GET only asks: link scanners in mail systems open links, and must not unsubscribe.
    return render(request, "digests/unsubscribe.html")


def _preview_email(request) -> OutgoingEmail:
    """The digest as it would go out now: the viewer's own, or (?case=REF) the survivor's
    of a case the viewer may see. Built from live counts; nothing is saved."""
    reference = request.GET.get("case", "").strip()
    if reference:
        case = case_for_user(request.user, reference)
        if case.survivor is None:
            raise Http404("This case has no survivor account, so no weekly email.")
        person = case.survivor
    else:
        person = request.user
    counts = digest_counts([person], now=timezone.now()).get(person.pk)
    return OutgoingEmail(
        user=person, kind=digest_kind_for(person), scheduled_for=timezone.now(), counts=counts
    )


@staff_required
@require_GET
def preview(request):
    email = _preview_email(request)
    message = None
    if email.counts is not None:
        message = digest_message(email, to=email.user.email)
    return render(
        request,
        "digests/preview.html",
        {
            "message": message,
            "for_survivor": email.user != request.user,
            "reference": request.GET.get("case", "").strip(),
        },
    )


@staff_required
@require_GET
def preview_html(request):
    email = _preview_email(request)
    if email.counts is None:
        raise Http404("Nothing to preview: no open case.")
    html = digest_message(email, to=email.user.email).alternatives[0][0]
    response = HttpResponse(html)
    response["Content-Security-Policy"] = EMAIL_PREVIEW_CSP
    return response
