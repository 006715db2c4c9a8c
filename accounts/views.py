from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from access.permissions import login_required
from accounts import selectors, services
from accounts.models import UserSession
from leakcase.forms import post_only


@login_required
@post_only("home", back_kwargs=())
def email_verification_send(request):
    """The dashboard's "Send the link again": a new confirmation link to her login address."""
    # When it is sent, allauth's message says where (account/messages/email_confirmation_sent.txt).
    sent = services.email_verification_send(request=request, user=request.user)
    if not sent and selectors.email_is_verified(request.user):
        messages.info(request, gettext("Your email address is confirmed already."))
    elif not sent:
        messages.info(
            request,
            gettext(
                "A link was sent a few minutes ago and still works: look in your inbox, and in "
                "its spam folder. You can ask again in a few minutes."
            ),
        )
    return redirect("home")


@post_only("home", back_kwargs=())
def language_set(request):
    """The language picker on every page (base.html), with or without a login: remembered
    in the language cookie, and on her account when she is logged in, so her pages on any
    browser and her emails follow it. Back to the page she picked it on."""
    language = request.POST.get("language", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    if language not in dict(settings.LANGUAGES):
        messages.error(request, gettext("Choose one of the languages in the list."))
        return redirect(back)
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    response = redirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


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
@post_only("accounts:security", back_kwargs=())
def session_end(request):
    """End one of her other sessions ("session": its id), or all of them ("others")."""
    if request.POST.get("others"):
        count = services.sessions_end_others(
            user=request.user,
            current_key=request.session.session_key,
            acting_user=request.user,
        )
        messages.success(
            request,
            ngettext("Ended %(count)s other session.", "Ended %(count)s other sessions.", count)
            % {"count": count},
        )
        return redirect("accounts:security")
    try:
        record = selectors.sessions_for(request.user).get(pk=request.POST.get("session"))
    except (UserSession.DoesNotExist, ValidationError):
        raise Http404("Not found") from None
    if record.session_key == request.session.session_key:
        raise Http404("Not found")  # this one ends by logging out
    services.session_end(user=request.user, session_id=record.pk, acting_user=request.user)
    messages.success(request, gettext("That session has ended."))
    return redirect("accounts:security")


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a login from a locked (account, address): our page, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "account/lockout.html", {"minutes": minutes}, status=429)
