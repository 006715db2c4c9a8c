"""Headers that keep pages self-contained and out of caches and other sites' reach."""

# Nothing loads from anywhere but this app: no CDN, font or analytics host can learn that a
# survivor is here. 'self' only, and no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def privacy_headers(get_response):
    def middleware(request):
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Pages about a case must not be kept by the browser or a shared proxy.
            response.setdefault("Cache-Control", "no-store")
        return response

    return middleware
