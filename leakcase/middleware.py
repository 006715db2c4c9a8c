"""Headers that keep pages self-contained and out of caches and other sites' reach, and the
request id that ties a page, its log lines and its audit rows together."""

import re
import uuid

from django.conf import settings

from leakcase.logs import request_id_var

# Nothing loads from anywhere but this app: no CDN, font or analytics host can learn that a
# survivor is here. 'self' only, and no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# An id a proxy in front of us already gave the request is kept when it looks like one, so
# its logs and ours line up; anything else is replaced, never echoed.
_INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def request_id(get_response):
    """Gives every request an id, in a contextvar for log records and audit rows, and returns
    it as X-Request-ID so a person reporting a problem can quote it."""

    def middleware(request):
        incoming = request.headers.get("X-Request-ID", "")
        # With its dashes: a 32-digit hex run would look like a digest to leakcase.logs.redact.
        value = incoming if _INCOMING_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        request.request_id = value
        token = request_id_var.set(value)
        try:
            response = get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = value
        return response

    return middleware


def privacy_headers(get_response):
    static_prefix = settings.STATIC_URL

    def middleware(request):
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith(static_prefix):
            # Any page may carry case data, with or without a login (a claim link's page):
            # neither the browser nor a shared proxy keeps a copy. Only static files, which
            # are the same for everyone, may be cached.
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        return response

    return middleware
