import pytest

from takedowns.selectors import platforms_for_hosts, registrable_domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("m.facebook.com", "facebook.com"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("x.com", "x.com"),
        ("203.0.113.5", "203.0.113.5"),
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


def test_hosts_map_to_platforms_in_one_query(db, django_assert_num_queries):
    hosts = {
        "x.com",
        "mobile.twitter.com",
        "old.reddit.com",
        "t.me",
        "unknown.example",
        "i.imgur.com",
    }
    with django_assert_num_queries(1):
        found = platforms_for_hosts(hosts)
    assert {host: p.name for host, p in found.items()} == {
        "x.com": "X (Twitter)",
        "mobile.twitter.com": "X (Twitter)",
        "old.reddit.com": "Reddit",
        "t.me": "Telegram",
        "i.imgur.com": "Imgur",
    }
