import ipaddress
import json

from hosting.cdn import CDN_RANGES_FILE, cdn_for


def test_an_address_in_a_published_range_names_its_cdn_with_source_and_date():
    match = cdn_for("104.16.1.1")
    assert (match.name, match.source) == ("Cloudflare", "cdn_ranges.json (Cloudflare, 2026-12-05)")
    assert cdn_for("2606:4700::6810:101").name == "Cloudflare"
    assert cdn_for("151.101.1.69").name == "Fastly"
    assert cdn_for("13.32.1.1").name == "Amazon CloudFront"
    assert cdn_for("142.250.1.1").name == "Google"


def test_an_address_outside_every_range_is_no_cdn():
    assert cdn_for("203.0.113.7") is None
    assert cdn_for("not an address") is None


def test_every_list_says_where_it_came_from_and_when():
    data = json.loads(CDN_RANGES_FILE.read_text())
    names = [p["name"] for p in data["providers"]]
    assert names == ["Cloudflare", "Fastly", "Amazon CloudFront", "Akamai", "Google"]
    for provider in data["providers"]:
        assert provider["source"] and provider["copied_on"]
        assert provider["abuse_email"] or provider["abuse_url"]
        for cidr in provider["ranges"]:
            ipaddress.ip_network(cidr)  # every range reads as a network
