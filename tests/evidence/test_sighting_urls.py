import pytest

from evidence.sighting_urls import MAX_URL_LENGTH, InvalidSightingUrl, normalise_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://X.COM/Someone/status/1", "https://x.com/Someone/status/1"),
        ("  https://x.com/a  ", "https://x.com/a"),
        ("x.com/a/status/1", "https://x.com/a/status/1"),
        ("//x.com/a", "https://x.com/a"),
        ("https://x.com/a#reply-3", "https://x.com/a"),
        ("https://x.com:443/a", "https://x.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4"),
        (
            "https://x.com/a?utm_source=tw&utm_medium=x&fbclid=1&s=20&gclid=2&id=7",
            "https://x.com/a?s=20&id=7",
        ),
        ("https://example.com/p?b=2&a=1", "https://example.com/p?b=2&a=1"),
        ("https://example.com/p?flag", "https://example.com/p?flag="),
        # Public address literals (documentation ranges are refused: nothing is published there).
        ("https://[2606:4700:4700::1111]:443/a", "https://[2606:4700:4700::1111]/a"),
        ("http://93.184.215.14/a", "http://93.184.215.14/a"),
    ],
)
def test_normalises(raw, expected):
    assert normalise_url(raw) == expected


def test_copies_of_one_link_normalise_to_the_same_address():
    variants = [
        "https://x.com/a/status/1",
        "HTTPS://X.com/a/status/1?utm_source=share#top",
        "x.com/a/status/1?fbclid=abc",
        "https://x.com:443/a/status/1",
    ]
    assert len({normalise_url(v) for v in variants}) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("javascript:alert(1)", "not javascript: links"),
        ("JavaScript:alert(document.cookie)", "not javascript: links"),
        ("data:text/html,<script>alert(1)</script>", "not data: links"),
        ("file:///etc/passwd", "not file: links"),
        ("ftp://example.com/a", "not ftp: links"),
        ("mailto:a@example.com", "not mailto: links"),
        ("https:example.com", "missing the //"),
        ("https://user:secret@example.com/", "user name or password"),
        ("https://localhost/", "not a valid domain"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/a\nb", "spaces"),
        ("https://-bad-.com/", "not a valid domain"),
        ("https://example.123/", "not a valid domain"),
        ("https://example.com:99999/", "malformed"),
        ("https:///nohost", "no site name"),
    ],
)
def test_refuses_with_a_reason(raw, reason):
    with pytest.raises(InvalidSightingUrl, match=reason):
        normalise_url(raw)


def test_refuses_a_5000_character_address_and_says_how_long_it_was():
    raw = "https://example.com/" + "a" * 4980
    with pytest.raises(InvalidSightingUrl) as excinfo:
        normalise_url(raw)
    assert "5,000 characters" in str(excinfo.value)
    assert f"{MAX_URL_LENGTH:,}" in str(excinfo.value)


def test_refuses_an_address_that_only_grows_too_long_once_encoded():
    raw = "https://example.com/" + "é" * 1000  # 1,020 characters, 6,000+ once encoded
    with pytest.raises(InvalidSightingUrl, match="once encoded"):
        normalise_url(raw)


def test_a_link_is_named_by_host_and_a_short_path():
    from evidence.sighting_urls import link_label

    assert link_label("https://www.reddit.com/r/x/comments/abc/") == "reddit.com/r/x/comments/abc"
    assert link_label("https://x.com/" + "a" * 40) == "x.com/" + "a" * 23 + "…"
    assert link_label("http://127.0.0.1:8000/post/1") == "127.0.0.1/post/1"
