"""A local RDAP server for the host-lookup tests: http.server on 127.0.0.1 on a free port,
answering RFC 9083 JSON shaped like real registries' (copied in shape from Verisign's .com
answers and ARIN's and the RIPE NCC's IP network answers), and the failures registries give:
404, 429 with Retry-After, 500, and a body that is not JSON.

`answers` maps a path ("/domain/lockerbox.com", "/ip/203.0.113.7") to an Answer; a path
not in it is a 404, as a registry answers for an object it does not hold. `asked` lists the
paths asked, in order. Stopped when the test ends."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict = b""
    headers: dict = field(default_factory=dict)

    def payload(self) -> bytes:
        return json.dumps(self.body).encode() if isinstance(self.body, dict) else self.body


class RdapServer:
    def __init__(self):
        self.answers: dict[str, Answer] = {}
        self.asked: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.asked.append(self.path)
                answer = server.answers.get(self.path.lower()) or Answer(
                    404, {"errorCode": 404, "title": "Not Found", "description": []}
                )
                body = answer.payload()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/rdap+json")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, body=None, *, status: int = 200, headers=None) -> None:
        self.answers[path.lower()] = Answer(
            status, body if body is not None else b"", headers or {}
        )

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- answers shaped like real registries' ------------------------------------------------

RDAP_NOTICE = {
    "title": "Terms of Use",
    "description": ["Service subject to Terms of Use."],
    "links": [{"href": "https://www.example.com/rdap/terms", "type": "text/html"}],
}


def vcard(*fields) -> list:
    return ["vcard", [["version", {}, "text", "4.0"], *fields]]


def verisign_domain(
    domain: str,
    *,
    registrar: str = "Example Registrar, Inc.",
    iana_id: str = "1234",
    abuse_email: str | None = "abuse@registrar.example",
    abuse_phone: str = "+1.5555550100",
) -> dict:
    """A thin registry's domain answer (Verisign, .com): the registrar entity with its IANA
    id and, nested inside it, the registrar's abuse contact (ICANN's RDAP profile). With
    abuse_email None, a registrar that publishes none."""
    registrar_entity = {
        "objectClassName": "entity",
        "handle": iana_id,
        "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": iana_id}],
        "vcardArray": vcard(["fn", {}, "text", registrar]),
    }
    if abuse_email is not None:
        registrar_entity["entities"] = [
            {
                "objectClassName": "entity",
                "roles": ["abuse"],
                "vcardArray": vcard(
                    ["fn", {}, "text", ""],
                    ["tel", {"type": "voice"}, "uri", f"tel:{abuse_phone}"],
                    ["email", {}, "text", abuse_email],
                ),
            }
        ]
    upper = domain.upper()
    return {
        "objectClassName": "domain",
        "handle": f"2336799_DOMAIN_COM-VRSN-{upper}",
        "ldhName": upper,
        "links": [
            {
                "value": f"https://rdap.verisign.com/com/v1/domain/{upper}",
                "rel": "self",
                "href": f"https://rdap.verisign.com/com/v1/domain/{upper}",
                "type": "application/rdap+json",
            }
        ],
        "status": ["client delete prohibited", "client transfer prohibited"],
        "entities": [registrar_entity],
        "events": [
            {"eventAction": "registration", "eventDate": "2019-03-14T09:12:41Z"},
            {"eventAction": "expiration", "eventDate": "2027-03-14T09:12:41Z"},
            {"eventAction": "last update of RDAP database", "eventDate": "2026-12-05T11:38:02Z"},
        ],
        "secureDNS": {"delegationSigned": False},
        "nameservers": [
            {"objectClassName": "nameserver", "ldhName": "NS1.EXAMPLE-DNS.NET"},
            {"objectClassName": "nameserver", "ldhName": "NS2.EXAMPLE-DNS.NET"},
        ],
        "rdapConformance": [
            "rdap_level_0",
            "icann_rdap_technical_implementation_guide_0",
            "icann_rdap_response_profile_0",
        ],
        "notices": [RDAP_NOTICE],
    }


def arin_network(
    address: str,
    *,
    prefix: str,
    length: int,
    handle: str,
    name: str,
    org: str,
    org_handle: str,
    abuse_email: str | None,
) -> dict:
    """ARIN's IP network answer: the organisation as registrant, its abuse contact nested
    in it (a point of contact with role abuse), cidr0 prefixes. abuse_email None: an
    organisation with no abuse contact on record."""
    org_entity = {
        "objectClassName": "entity",
        "handle": org_handle,
        "roles": ["registrant"],
        "vcardArray": vcard(
            ["fn", {}, "text", org],
            ["adr", {"label": "1 Example Street\nSpringfield\nUnited States"}, "text", [""] * 7],
            ["kind", {}, "text", "org"],
        ),
    }
    if abuse_email is not None:
        org_entity["entities"] = [
            {
                "objectClassName": "entity",
                "handle": f"ABUSE-{org_handle}-ARIN",
                "roles": ["abuse"],
                "vcardArray": vcard(
                    ["fn", {}, "text", "Abuse"],
                    ["kind", {}, "text", "group"],
                    ["email", {}, "text", abuse_email],
                    ["tel", {"type": ["work", "voice"]}, "text", "+1-555-555-0199"],
                ),
            }
        ]
    return {
        "rdapConformance": ["nro_rdap_profile_0", "rdap_level_0", "cidr0", "arin_originas0"],
        "notices": [RDAP_NOTICE],
        "handle": handle,
        "startAddress": prefix,
        "endAddress": address,
        "ipVersion": "v4",
        "name": name,
        "type": "DIRECT ALLOCATION",
        "parentHandle": "NET-0-0-0-0-0",
        "events": [
            {"eventAction": "registration", "eventDate": "2015-06-01T10:00:00-04:00"},
            {"eventAction": "last changed", "eventDate": "2025-02-02T10:00:00-05:00"},
        ],
        "links": [
            {
                "value": f"https://rdap.arin.net/registry/ip/{address}",
                "rel": "self",
                "type": "application/rdap+json",
                "href": f"https://rdap.arin.net/registry/ip/{prefix}",
            }
        ],
        "entities": [org_entity],
        "port43": "whois.arin.net",
        "status": ["active"],
        "objectClassName": "ip network",
        "cidr0_cidrs": [{"v4prefix": prefix, "length": length}],
    }


def ripe_network(address: str, *, prefix: str, length: int, name: str, org: str, abuse_email: str):
    """The RIPE NCC's IP network answer: registrant organisation and the abuse contact as
    two entities side by side (not nested), a handle that is the address range."""
    return {
        "handle": f"{prefix} - {address}",
        "name": name,
        "type": "ASSIGNED PA",
        "startAddress": prefix,
        "endAddress": address,
        "ipVersion": "v4",
        "country": "NL",
        "parentHandle": "0.0.0.0 - 255.255.255.255",
        "objectClassName": "ip network",
        "entities": [
            {
                "handle": "ORG-NH1-RIPE",
                "vcardArray": vcard(["fn", {}, "text", org], ["kind", {}, "text", "org"]),
                "roles": ["registrant"],
                "objectClassName": "entity",
            },
            {
                "handle": "NHAB-RIPE",
                "vcardArray": vcard(
                    ["fn", {}, "text", f"{org} abuse"],
                    ["kind", {}, "text", "group"],
                    ["email", {}, "text", abuse_email],
                ),
                "roles": ["abuse"],
                "objectClassName": "entity",
            },
        ],
        "links": [
            {
                "value": f"https://rdap.db.ripe.net/ip/{address}",
                "rel": "self",
                "href": f"https://rdap.db.ripe.net/ip/{prefix}/{length}",
            }
        ],
        "events": [{"eventAction": "last changed", "eventDate": "2025-09-10T08:00:00Z"}],
        "rdapConformance": ["cidr0", "rdap_level_0", "nro_rdap_profile_0", "redacted"],
        "notices": [
            {
                "title": "Terms and Conditions",
                "description": ["This is the RIPE Database query service."],
                "links": [
                    {
                        "value": "https://rdap.db.ripe.net/",
                        "rel": "terms-of-service",
                        "href": "http://www.ripe.net/db/support/db-terms-conditions.pdf",
                        "type": "application/pdf",
                    }
                ],
            }
        ],
        "port43": "whois.ripe.net",
        "cidr0_cidrs": [{"v4prefix": prefix, "length": length}],
    }
