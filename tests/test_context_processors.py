"""leakcase/context_processors.py: the deployment's support contacts on every survivor page
(templates/_support.html in base.html's footer), and a plain line, never a made-up number,
when none are set."""

import re

import pytest

from tests.helpers.access_matrix import MATRIX, OK, World

CONTACTS = [
    {
        "name": "Night line",
        "phone": "0800 000 0000",
        "tel": "08000000000",
        "url": "",
        "hours": "every night 20:00-02:00",
    },
    {
        "name": "Chat to someone",
        "phone": "",
        "tel": "",
        "url": "https://example.org/chat",
        "hours": "",
    },
]

# Every page of ours a survivor opens (a GET she may make).
HER_PAGES = [
    name
    for name, (method, _data, by_role) in MATRIX.items()
    if method == "GET" and by_role["owner"] == OK
]


@pytest.fixture
def world(db):
    return World()


def _footer(response) -> str:
    match = re.search(
        r'<footer class="site-footer">(.*?)</footer>', response.content.decode(), re.S
    )
    assert match, response.content.decode()[:500]
    return match.group(1)


@pytest.mark.parametrize("name", HER_PAGES)
def test_every_page_of_hers_gives_the_support_contacts(client, world, settings, name):
    settings.SUPPORT_CONTACTS = CONTACTS
    client.force_login(world.users["owner"])
    response = client.get(world.url(name))
    if response.get("Content-Type", "").startswith("text/html"):
        footer = _footer(response)
        assert "Night line" in footer
        assert '<a href="tel:08000000000">0800 000 0000</a>' in footer
        assert "every night 20:00-02:00" in footer
        assert '<a href="https://example.org/chat"' in footer
    else:
        # A download (her data, an evidence file, the bundle): no page to put it on.
        assert response.status_code == 200


def test_without_contacts_the_footer_says_so_plainly_with_no_number(client, world, settings):
    settings.SUPPORT_CONTACTS = []
    client.force_login(world.users["owner"])
    footer = _footer(client.get(world.url("cases:detail")))
    assert "If you need to talk to someone" in footer
    assert "your caseworker can tell you who to call" in footer
    assert "tel:" not in footer


def test_staff_pages_leave_it_out(client, world, settings):
    settings.SUPPORT_CONTACTS = CONTACTS
    client.force_login(world.users["assigned_caseworker"])
    assert "Night line" not in _footer(client.get(world.url("cases:detail")))
