from urllib.parse import urlsplit

import pytest

from evidence.sighting_urls import normalise_url
from platforms.models import Platform
from platforms.selectors import platforms_for_hosts, registrable_domain


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


# --- real-world URL shapes, end to end: normalise, then map ------------------------------

URL_SHAPES = [
    ("https://x.com/someone/status/1790000000000000001", "X (Twitter)"),
    ("https://twitter.com/someone/status/1", "X (Twitter)"),
    ("https://mobile.twitter.com/someone/status/1", "X (Twitter)"),
    ("https://T.CO/AbCdEf123", "X (Twitter)"),
    ("https://pbs.twimg.com/media/Fxyz.jpg?name=orig", "X (Twitter)"),
    ("x.com/someone", "X (Twitter)"),
    ("https://www.facebook.com/photo.php?fbid=1&set=a.2", "Facebook"),
    ("https://m.facebook.com/story.php?story_fbid=1&id=2", "Facebook"),
    ("https://scontent-lhr8-1.xx.fbcdn.net/v/t39/1_n.jpg", "Facebook"),
    ("https://fb.watch/abc123/", "Facebook"),
    ("https://www.instagram.com/p/Cabc123/?igsh=xyz", "Instagram"),
    ("https://instagr.am/p/Cabc123/", "Instagram"),
    ("https://old.reddit.com/r/example/comments/abc/title/", "Reddit"),
    ("https://i.redd.it/abcdef123.jpg", "Reddit"),
    ("https://www.reddit.com:443/r/example/", "Reddit"),
    ("https://vm.tiktok.com/ZMabc123/", "TikTok"),
    ("https://t.me/some_channel/1234", "Telegram"),
    ("https://telegra.ph/file/abc.jpg", "Telegram"),
    ("https://cdn.discordapp.com/attachments/1/2/image.png", "Discord"),
    ("https://discord.gg/invite123", "Discord"),
    ("https://youtu.be/dQw4w9WgXcQ?si=tracking", "YouTube"),
    ("https://www.youtube.com/watch?v=abc&t=10", "YouTube"),
    ("https://de.pornhub.com/view_video.php?viewkey=ph123", "Pornhub"),
    ("https://www.xvideos.com/video12345/title", "XVideos"),
    ("https://xhamster.desi/videos/title-123", "xHamster"),
    ("https://onlyfans.com/someone", "OnlyFans"),
    ("https://i.imgur.com/AbCdEf.jpeg", "Imgur"),
    ("imgur.com/a/AbCdE", "Imgur"),
    ("https://i.ibb.co/abc/photo.jpg", "ImgBB"),
    ("https://i.postimg.cc/abc/photo.png", "Postimages"),
    ("https://boards.4chan.org/b/thread/1", "4chan"),
    ("https://i.4cdn.org/b/1.jpg", "4chan"),
    ("https://mega.nz/file/abc#key", "Mega"),
    ("https://www.dropbox.com/s/abc/photo.jpg?dl=0", "Dropbox"),
    ("https://dl.dropboxusercontent.com/s/abc/photo.jpg", "Dropbox"),
    ("https://drive.google.com/file/d/abc/view?usp=sharing", "Google Drive"),
    ("https://www.google.com/search?q=name", "Google Search"),
    ("https://images.google.co.uk/imgres?imgurl=x", None),  # a country domain: not listed
    ("https://www.bing.com/images/search?q=name", "Bing"),
    ("https://yandex.ru/images/search?text=name", "Yandex"),
    ("https://bsky.app/profile/someone.bsky.social/post/abc", "Bluesky"),
    ("https://files.example-locker.net/d/8f2k1", None),
    ("https://bücher-forum.example/t/1", None),  # an IDN, unknown
    ("http://93.184.215.9:8080/leak.jpg", None),  # a bare public address and port
]


@pytest.mark.parametrize(("raw", "expected"), URL_SHAPES, ids=[u for u, _ in URL_SHAPES])
def test_real_world_url_shapes_map_to_their_platform(db, raw, expected):
    host = urlsplit(normalise_url(raw)).hostname
    found = platforms_for_hosts({host}).get(host)
    assert (found.name if found else None) == expected


def test_there_are_at_least_30_shapes_and_25_platforms(db):
    assert len(URL_SHAPES) >= 30
    assert Platform.objects.count() >= 25
    with_channel = Platform.objects.exclude(report_form_url="", abuse_email="")
    assert all(p.source for p in with_channel), "a contact channel without its source"
