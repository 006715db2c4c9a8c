"""A local web server standing in for the sites where sightings live (127.0.0.1 only)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evidence.demo_images import make_image

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
    "/error": (503, "text/html", b"down"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status, kind, body = PAGES.get(self.path, (404, "text/html", b"?"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
