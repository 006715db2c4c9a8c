"""A mail server for the digests benchmark, in a process of its own as a real one would be:
accepts every message, and prints how many it took when it is told to stop (SIGTERM).

    python bench/smtp_sink.py PORT
"""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Counter.received += 1
        return "250 OK"


def main() -> None:
    controller = Controller(Counter(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(Counter.received, flush=True)


if __name__ == "__main__":
    main()
