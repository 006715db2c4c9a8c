"""Session limits and the mandatory second factor for staff, enforced on every request; the
language saved on her account, applied to every request of hers."""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from accounts import services

# Last seen is written at most this often (seconds): one small write a minute, not one a
# request. The idle limit is therefore exact to within this much.
SEEN_WRITE_INTERVAL = 60


def account_language(get_response):
    """Her account's language, when it has one, over the cookie and Accept-Language that
    LocaleMiddleware went by: she reads in it on any browser she logs in from. (After
    AuthenticationMiddleware, which it needs; LocaleMiddleware's response half then sets
    Content-Language from it.)"""

    def middleware(request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware


def session_limits(get_response):
    """End a session SESSION_IDLE_TIMEOUT seconds after its last request, and
    SESSION_ABSOLUTE_LIFETIME seconds after login however busy it is (OWASP ASVS 3.3).
    Ending it deletes the session row; the request goes on as an anonymous one."""

    def middleware(request):
        if request.user.is_authenticated:
            session = request.session
            now = time.time()
            started = session.get(services.SESSION_STARTED)
            seen = session.get(services.SESSION_SEEN)
            if started is None or seen is None:
                # Logged in before limits were kept: the clocks start now.
                session[services.SESSION_STARTED] = now
                session[services.SESSION_SEEN] = now
            elif now - seen > settings.SESSION_IDLE_TIMEOUT:
                _end(
                    request,
                    translation.gettext("You were logged out after a while without activity."),
                )
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                _end(
                    request,
                    translation.gettext("You were logged out: sessions last 12 hours at most."),
                )
            elif (
                now - seen >= SEEN_WRITE_INTERVAL
                or session.get(services.SESSION_RECORD_KEY) != session.session_key
            ):
                services.session_record_seen(request=request, now=now)
        return get_response(request)

    return middleware


def _end(request, message: str) -> None:
    logout(request)  # flushes: the session row is deleted, a new empty session takes its place
    messages.info(request, message)


# What a staff member without a second factor may still reach: enrolment, what enrolment
# itself needs (reauthentication, the recovery codes shown after it), and logging out.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_activate_totp",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        # The words of the page's scripts (base.html loads it on every page, enrolment's
        # too): redirected, the browser would fetch the enrolment page again, and allauth
        # would give it a new secret, so the code from the one on screen would never work.
        "javascript_catalog",
    }
)


def second_factor_required(get_response):
    """A caseworker, supervisor or admin whose account has no TOTP authenticator reaches
    nothing but enrolment: GETs are redirected there, other methods answered 303 to it
    without running the view. The admin site included."""

    def middleware(request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_support_staff
            and not _has_second_factor(request)
            and not _is_enrolment(request)
        ):
            url = reverse("mfa_activate_totp")
            if request.method in ("GET", "HEAD"):
                return HttpResponseRedirect(url)
            return HttpResponseRedirect(url, status=303)
        return get_response(request)

    return middleware


def _is_enrolment(request) -> bool:
    if request.path_info.startswith(settings.STATIC_URL):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # a 404 reveals nothing
    return match.url_name in ENROLMENT_URL_NAMES


def _has_second_factor(request) -> bool:
    # Remembered in the session once seen, so an enrolled session costs no query.
    if request.session.get(services.SESSION_SECOND_FACTOR):
        return True
    enrolled = Authenticator.objects.filter(
        user_id=request.user.pk, type=Authenticator.Type.TOTP
    ).exists()
    if enrolled:
        request.session[services.SESSION_SECOND_FACTOR] = True
    return enrolled
