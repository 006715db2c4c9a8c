import ipaddress

import pytest

from leakcase.public_addresses import is_public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("100.127.255.255", False),
        ("::ffff:8.8.8.8", False),  # mapped forms are refused outright
        ("64:ff9b::808:808", False),  # NAT64 is refused outright
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("203.0.113.9", False),
        ("198.51.100.1", False),
        ("3fff::1", False),
    ],
)
def test_address_rules(address, public):
    assert is_public(ipaddress.ip_address(address)) is public
