"""The classifier (monitoring/recheck.py) against a local server standing in for the outside
world (127.0.0.1 only)."""

import ipaddress

import pytest

from evidence.services import sighting_log
from monitoring import recheck
from monitoring.models import Outcome
from monitoring.services import sighting_recheck

pytestmark = pytest.mark.usefixtures("allow_local")


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("/image", Outcome.LIVE),
        ("/other", Outcome.SOFT_REMOVED),
        ("/missing", Outcome.REMOVED),
        ("/gone", Outcome.REMOVED),
        ("/forbidden", Outcome.LOGIN_WALLED),
        ("/unavailable-here", Outcome.GEO_BLOCKED),
        ("/login", Outcome.LOGIN_WALLED),
        ("/challenge", Outcome.LOGIN_WALLED),
        ("/placeholder", Outcome.SOFT_REMOVED),
        ("/page-with-her-image", Outcome.LIVE),
        ("/page-without", Outcome.REMOVED),
        ("/page-with-a-logo", Outcome.REMOVED),
        ("/error", Outcome.UNREACHABLE),
    ],
)
def test_each_answer_gets_its_outcome(server, her_references, path, outcome):
    verdict = recheck.check(server + path, her_references)
    assert verdict.outcome == outcome
    if outcome == Outcome.LIVE:
        assert verdict.distance is not None and verdict.distance <= 2


def test_refused_and_dead_addresses(her_references, settings):
    settings.FETCH_ALLOW_NETWORKS = []
    assert recheck.check("http://127.0.0.1:1/x", her_references).outcome == Outcome.BLOCKED
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dead = recheck.check("http://127.0.0.1:1/x", her_references)
    assert dead.outcome == Outcome.UNREACHABLE and dead.error


@pytest.mark.parametrize("path", ["/bomb", "/page-with-a-bomb"])
def test_an_image_bomb_is_a_plain_error_on_the_check_and_is_never_decoded(
    server, case, survivor, her_references, pillow_decodes, path
):
    """A 504 kB PNG declaring 13,300 x 13,300 pixels (issue 13), at the address or on the
    page: refused from its header by the opener uploads use (before: 6.7 s and 953 MB to
    hash). Not compared, so not taken for removed either."""
    sighting = sighting_log(case=case, url=server + path, acting_user=survivor)
    check = sighting_recheck(sighting=sighting)
    assert (check.outcome, check.http_status) == (Outcome.BLOCKED, 200)
    assert check.error == (
        "An image there was not opened, so it could not be compared: it declares "
        "13,300 by 13,300 pixels, more than the 50 million we open."
    )
    assert sighting.status == "unknown" and sighting.removed_verified_at is None
    assert (13_300, 13_300) not in pillow_decodes
