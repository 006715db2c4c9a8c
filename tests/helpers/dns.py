"""A real DNS server for the host-lookup tests: dnslib's server in a thread on 127.0.0.1, on
a free UDP port, answering A and AAAA from `records`; a name not in it is NXDOMAIN. Our
resolver (monitoring.host_lookup.resolver) is pointed at it through
settings.DNS_NAMESERVERS, so the lookups go over the wire as they do in production."""

from __future__ import annotations

import ipaddress

from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSServer


class Zone(BaseResolver):
    def __init__(self):
        self.records: dict[str, list[str]] = {}
        self.asked: list[tuple[str, str]] = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        kind = QTYPE[request.q.qtype]
        self.asked.append((name, kind))
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for text in self.records[name]:
            ip = ipaddress.ip_address(text)
            if kind == "A" and ip.version == 4:
                reply.add_answer(RR(name, QTYPE.A, rdata=A(text), ttl=60))
            elif kind == "AAAA" and ip.version == 6:
                reply.add_answer(RR(name, QTYPE.AAAA, rdata=AAAA(text), ttl=60))
        return reply


class DnsServer:
    def __init__(self):
        self.zone = Zone()
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=_Quiet())
        self.server.start_thread()
        self.port = self.server.server.server_address[1]
        self.nameserver = f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()


class _Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
