"""A stand-in for the sites where sightings live, for the recheck benchmark: 127.0.0.1
only, every answer after DELAY. /s/<n>: n % 10 in 0..7 a ~25 kB JPEG (made by code),
8 a 404, 9 a 410. Prints its port on the first line of stdout, then serves until killed.

Run in its own process so its work does not share the benchmarked worker's GIL. With a
port as argv[1] it listens there with SO_REUSEPORT, so several of these share one port and
the kernel spreads connections between them (the recheck benchmark's two worker processes
ask for up to 2,000 answers a second, more than one server process gives here).
"""

import asyncio
import io
import sys

from aiohttp import web
from PIL import Image

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0])
from evidence.demo_images import make_image

DELAY = 0.1
IMAGES = []
for seed in range(4):
    out = io.BytesIO()
    Image.open(io.BytesIO(make_image(seed=1000 + seed, size=(800, 600)))).save(
        out, "JPEG", quality=85
    )
    IMAGES.append(out.getvalue())


async def sighting(request):
    await asyncio.sleep(DELAY)
    n = int(request.match_info["n"])
    if n % 10 == 8:
        return web.Response(status=404, text="not found", content_type="text/html")
    if n % 10 == 9:
        return web.Response(status=410, text="gone", content_type="text/html")
    return web.Response(body=IMAGES[n % len(IMAGES)], content_type="image/jpeg")


async def main():
    app = web.Application()
    app.router.add_get("/s/{n}", sighting)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=2048, reuse_port=bool(port))
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
