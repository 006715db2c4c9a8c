"""A stand-in for the sites where sightings live, for the recheck benchmark: 127.0.0.1
only, every answer after DELAY. /s/<n>: n % 10 in 0..7 a ~25 kB JPEG (made by code),
8 a 404, 9 a 410. Prints its port on the first line of stdout, then serves until killed.

Run in its own process so its work does not share the benchmarked worker's GIL. With a
port as argv[1] it listens there with SO_REUSEPORT, so several of these share one port and
the kernel spreads connections between them (the recheck benchmark's two worker processes
ask for up to 2,000 answers a second).

It answers with bytes made once, from a bare asyncio protocol (HTTP/1.1 GETs with
keep-alive, closing the connection after a request that says "Connection: close", as real
sites do), not a web framework: the real sites are other machines, but this one shares the
benchmark machine's two cores with the workers measured, and aiohttp's server spent
0.26-0.35 ms of CPU an answer there (the recheck benchmark's `machine` figures, 5 Dec 2026),
a sixth of what the whole machine spent on a check; this one 0.18-0.23 ms while the guarded
fetcher opened a connection per request, 0.07-0.09 ms since it keeps them open.
"""

import asyncio
import io
import socket
import sys

from PIL import Image

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0])
from evidence.demo_images import make_image

DELAY = 0.1


def _response(status: str, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


IMAGES = []
for seed in range(4):
    out = io.BytesIO()
    Image.open(io.BytesIO(make_image(seed=1000 + seed, size=(800, 600)))).save(
        out, "JPEG", quality=85
    )
    IMAGES.append(_response("200 OK", "image/jpeg", out.getvalue()))
NOT_FOUND = _response("404 Not Found", "text/html", b"not found")
GONE = _response("410 Gone", "text/html", b"gone")
BAD = _response("400 Bad Request", "text/html", b"bad request")


def answer(target: bytes) -> bytes:
    if not target.startswith(b"/s/"):
        return NOT_FOUND
    try:
        n = int(target[3:].split(b"?", 1)[0])
    except ValueError:
        return NOT_FOUND
    if n % 10 == 8:
        return NOT_FOUND
    if n % 10 == 9:
        return GONE
    return IMAGES[n % len(IMAGES)]


class Site(asyncio.Protocol):
    """Requests on one connection, answered in order, each DELAY after it arrived."""

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.loop = asyncio.get_running_loop()

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            parts = head.split(b"\r\n", 1)[0].split(b" ")
            reply = answer(parts[1]) if len(parts) == 3 and parts[0] == b"GET" else BAD
            # As real sites do: a client that asks for the connection to be closed gets it.
            close = b"\r\nconnection: close" in head.lower()
            self.loop.call_later(DELAY, self._send, reply, close)

    def _send(self, reply: bytes, close: bool):
        if not self.transport.is_closing():
            self.transport.write(reply)
            if close:
                self.transport.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    server = await asyncio.get_running_loop().create_server(Site, sock=sock, backlog=2048)
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
