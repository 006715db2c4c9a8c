"""Refreshing the host lookups' data from files served on 127.0.0.1 (never the internet)."""

import datetime as dt
import ipaddress
import json
import shutil

import pytest

from hosting.cdn import CDN_RANGES_FILE, cdn_for
from monitoring import host_lookup
from monitoring.host_data import DataError, cdn_ranges_refresh, rdap_bootstrap_refresh
from tests.helpers.rdap import RdapServer

TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def files(settings):
    server = RdapServer()  # any local HTTP server serving what it is given will do
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    yield server
    server.stop()


def test_the_bootstrap_is_replaced_with_ianas_files(files, tmp_path):
    files.answer("/dns.json", {"version": "1.0", "services": [[["zz"], ["https://rdap.zz/"]]]})
    files.answer(
        "/ipv4.json", {"services": [[["198.0.0.0/8"], ["https://rdap.arin.net/registry/"]]]}
    )
    files.answer(
        "/ipv6.json", {"services": [[["2600::/12"], ["https://rdap.arin.net/registry/"]]]}
    )
    path = tmp_path / "rdap_bootstrap.json"
    urls = {kind: f"{files.base_url}{kind}.json" for kind in ("dns", "ipv4", "ipv6")}

    assert rdap_bootstrap_refresh(urls=urls, path=path, today=TODAY) == {
        "dns": 1,
        "ipv4": 1,
        "ipv6": 1,
    }

    loaded = host_lookup.bootstrap(str(path))
    assert loaded.copied_on == "2026-12-06"
    assert loaded.tlds == {"zz": "https://rdap.zz/"}


def test_a_file_that_does_not_read_changes_nothing(files, tmp_path):
    files.answer("/dns.json", b"<html>maintenance</html>")
    path = tmp_path / "rdap_bootstrap.json"
    with pytest.raises(DataError):
        rdap_bootstrap_refresh(urls={"dns": f"{files.base_url}dns.json"}, path=path)
    assert not path.exists()


def test_the_cdn_ranges_are_read_again_with_todays_date(files, tmp_path):
    files.answer("/ips-v4", b"104.16.0.0/13\n104.24.0.0/14\n")
    files.answer("/ips-v6", b"2606:4700::/32\n")
    files.answer(
        "/ip-ranges.json",
        {
            "prefixes": [
                {"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"},
                {"ip_prefix": "3.5.140.0/22", "service": "AMAZON"},
            ],
            "ipv6_prefixes": [{"ipv6_prefix": "2600:9000::/28", "service": "CLOUDFRONT"}],
        },
    )
    path = tmp_path / "cdn_ranges.json"
    shutil.copy(CDN_RANGES_FILE, path)
    sources = {
        "Cloudflare": [f"{files.base_url}ips-v4", f"{files.base_url}ips-v6"],
        "Amazon CloudFront": [f"{files.base_url}ip-ranges.json"],
    }

    counts = cdn_ranges_refresh(sources=sources, path=path, today=TODAY)

    assert counts == {"Cloudflare": 3, "Amazon CloudFront": 2}
    data = {p["name"]: p for p in json.loads(path.read_text())["providers"]}
    assert data["Amazon CloudFront"]["ranges"] == ["13.32.0.0/15", "2600:9000::/28"]
    assert data["Cloudflare"]["copied_on"] == "2026-12-06"
    assert data["Fastly"]["copied_on"] == "2026-12-05"  # not asked: as it was
    assert cdn_for("3.5.140.1", path=path) is None  # AWS, not CloudFront
    assert cdn_for("2600:9000::1", path=path).name == "Amazon CloudFront"


def test_the_rules_refuse_a_private_source(files, tmp_path, settings):
    settings.FETCH_ALLOW_NETWORKS = []  # production's setting
    path = tmp_path / "cdn_ranges.json"
    shutil.copy(CDN_RANGES_FILE, path)
    with pytest.raises(DataError):
        cdn_ranges_refresh(sources={"Cloudflare": [f"{files.base_url}ips-v4"]}, path=path)
    assert files.asked == []
