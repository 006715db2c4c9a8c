"""Who is knocking: the client address and the login being tried, for lockouts and limits."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies of ours in front, the address the
    outermost of them appended to X-Forwarded-For. Whatever a client writes into that header
    itself sits further left and is never read."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def login_identifier(request, credentials: dict | None) -> str | None:
    """The account being tried, as django-axes counts it: allauth's form sends "login" and
    authenticates with email=..., the admin's form sends username=...; case does not matter."""
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or credentials.get("login")
        or request.POST.get("login")
        or request.POST.get("username")
        or ""
    )
    value = str(value).strip().lower()
    return value[:254] or None


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines: the form only, never the login (an
    email address) or the address of someone who may be a survivor."""
    return f"a client of {path_info}"
