from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.permissions import login_required, survivor_required
from accounts import selectors, services
from accounts.forms import EraseForm, PasswordConfirmForm
from accounts.models import UserSession
from evidence.bundles import survivor_export


@survivor_required
@require_http_methods(["GET", "POST"])
def data_export(request):
    """Download everything of hers, after typing her password again."""
    form = PasswordConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):
            # Written as it is sent: a case with gigabytes of evidence never sits in memory.
            response = StreamingHttpResponse(
                survivor_export(request.user), content_type="application/zip"
            )
            # A neutral name: a downloads folder is seen by whoever borrows the device.
            response["Content-Disposition"] = (
                f'attachment; filename="export-{timezone.localdate():%Y-%m-%d}.zip"'
            )
            response["Cache-Control"] = "no-store"
            return response
        form.add_error("password", "That password is not right.")
    return render(
        request, "accounts/export.html", {"form": form}, status=400 if form.errors else 200
    )


@survivor_required
@require_http_methods(["GET", "POST"])
def account_erase(request):
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            counts = services.account_erase(
                user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error.message_dict["password"])
        else:
            logout(request)
            messages.success(
                request,
                f"Your account is erased: {counts['cases']} case(s) and "
                f"{counts['evidence files']} evidence file(s) are gone.",
            )
            return redirect("home")
    return render(
        request, "accounts/erase.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def email_verification_send(request):
    """The dashboard's "Send the link again": a new confirmation link to her login address."""
    # When it is sent, allauth's message says where (account/messages/email_confirmation_sent.txt).
    sent = services.email_verification_send(request=request, user=request.user)
    if not sent and selectors.email_is_verified(request.user):
        messages.info(request, "Your email address is confirmed already.")
    elif not sent:
        messages.info(
            request,
            "A link was sent a few minutes ago and still works: look in your inbox, and in "
            "its spam folder. You can ask again in a few minutes.",
        )
    return redirect("home")


@login_required
@require_GET
def security(request):
    """Her account's security: the second factor, and the sessions she has open."""
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": selectors.sessions_for(request.user),
            "current_key": request.session.session_key,
            "has_second_factor": selectors.has_second_factor(request.user),
        },
    )


@login_required
@require_POST
def session_end(request):
    """End one of her other sessions ("session": its id), or all of them ("others")."""
    if request.POST.get("others"):
        count = services.sessions_end_others(
            user=request.user,
            current_key=request.session.session_key,
            acting_user=request.user,
        )
        messages.success(request, f"Ended {count} other session(s).")
        return redirect("accounts:security")
    try:
        record = selectors.sessions_for(request.user).get(pk=request.POST.get("session"))
    except (UserSession.DoesNotExist, ValidationError):
        raise Http404("Not found") from None
    if record.session_key == request.session.session_key:
        raise Http404("Not found")  # this one ends by logging out
    services.session_end(user=request.user, session_id=record.pk, acting_user=request.user)
    messages.success(request, "That session has ended.")
    return redirect("accounts:security")


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a login from a locked (account, address): our page, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "account/lockout.html", {"minutes": minutes}, status=429)
