"""A local web server standing in for the sites where sightings live (127.0.0.1 only)."""

import ipaddress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evidence.demo_images import make_image
from evidence.services import reference_register
from tests import images

HER_IMAGE = make_image(seed=101, size=(600, 450))
OTHER_IMAGE = make_image(seed=202, size=(600, 450))
PAGES = {
    "/image": (200, "image/jpeg", HER_IMAGE),
    "/other": (200, "image/jpeg", OTHER_IMAGE),
    "/missing": (404, "text/html", b"not found"),
    "/gone": (410, "text/html", b"gone"),
    "/forbidden": (403, "text/html", b"no"),
    "/unavailable-here": (451, "text/html", b"legal"),
    "/login": (200, "text/html", b'<form><input type="password" name="p"></form>'),
    "/challenge": (200, "text/html", b"<title>Just a moment</title><div id=cf-challenge>"),
    "/placeholder": (200, "text/html", b"<p>This post has been removed.</p>"),
    "/page-with-her-image": (
        200,
        "text/html",
        b'<meta property="og:image" content="/image"><img src="/other">',
    ),
    "/page-without": (200, "text/html", b'<img src="/other"><p>hello</p>'),
    # A logo no decoder of ours reads: passed over, as it is no picture of her.
    "/logo.svg": (200, "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    "/page-with-a-logo": (200, "text/html", b'<img src="/logo.svg"><img src="/other">'),
    "/error": (503, "text/html", b"down"),
}


# Served on demand: making the bomb takes about 2 s (tests/images.py).
LAZY_PAGES = {
    "/bomb": lambda: (200, "image/png", images.png_declaring(13_300, 13_300)),
    "/page-with-a-bomb": lambda: (200, "text/html", b'<img src="/bomb"><img src="/other">'),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/hop"):
            # /hop3 -> /hop2 -> /hop1 -> /image
            left = int(self.path[4:] or 0)
            self.send_response(302)
            self.send_header("Location", f"/hop{left - 1}" if left > 1 else "/image")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path in ("/trickle", "/endless"):
            self._stream(slow=self.path == "/trickle")
            return
        if self.path.startswith("/slow-gone"):
            time.sleep(0.4)  # long enough for a test to kill a worker mid-batch
        path = "/gone" if self.path.startswith("/slow-gone") else self.path
        if path in LAZY_PAGES:
            status, kind, body = LAZY_PAGES[path]()
        else:
            status, kind, body = PAGES.get(path, (404, "text/html", b"?"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, *, slow):
        """A byte every 0.2 s (a trickle), or 64 MB as fast as it goes (an endless body)."""
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.end_headers()
        try:
            for _ in range(100 if slow else 1000):
                self.wfile.write(b"x" if slow else b"\xff" * 65536)
                self.wfile.flush()
                if slow:
                    time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def allow_local(settings):
    # Only for these tests: production never sets this (monitoring/fetcher.py).
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


@pytest.fixture
def her_references(case, survivor):
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    return list(case.references.all())


@pytest.fixture(autouse=True)
def no_hashes_kept():
    """Every test decodes what it fetches: the hashes a test before it kept in this
    process (monitoring.recheck.HASH_CACHE) are forgotten."""
    from monitoring import recheck

    recheck.HASH_CACHE.clear()
