"""A link's status in plain words, for her and for staff (evidence.status_words)."""

import pytest
from django.utils import timezone

from evidence.models import Sighting
from evidence.status_words import status_words


def _link(status="live", source="check", outcome="", withdrawn=False):
    return Sighting(
        url="https://x.com/1",
        status=status,
        status_source=source,
        last_check_outcome=outcome,
        withdrawn_at=timezone.now() if withdrawn else None,
    )


@pytest.mark.parametrize(
    ("link", "label", "meaning"),
    [
        (_link(), "Up", "You saw it online. Our automatic check looks at it soon."),
        (_link(outcome="live"), "Up", "Our automatic check found it online."),
        (
            _link("unknown", outcome="login_walled"),
            "Up, as far as we know",
            "The site turned our automatic check away or asks for a login (it may block "
            "robots). We treat it as still up until you or your caseworker tell us otherwise",
        ),
        (
            _link("unreachable", outcome="unreachable"),
            "Up, as far as we know",
            "The site did not answer our automatic check.",
        ),
        (
            _link("live", "survivor", "unreachable"),
            "Up",
            "You checked: it is still online. The site did not answer our automatic check. "
            "This stands until a person",
        ),
        (_link("removed", "staff"), "Removed", "Your caseworker checked: it is gone."),
        (_link("removed", "survivor"), "Removed", "You told us it's gone."),
        (_link("removed"), "Removed", "Our automatic check found it gone."),
    ],
)
def test_her_words(link, label, meaning):
    words = status_words(link, for_staff=False)
    assert words.label == label
    assert meaning in words.meaning


def test_staff_read_it_in_the_third_person_and_see_her_removals():
    assert "She checked" in status_words(_link("live", "survivor"), for_staff=True).meaning
    assert status_words(_link(withdrawn=True), for_staff=True).label == "Removed from her list"
