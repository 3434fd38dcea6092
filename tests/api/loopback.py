"""Serve a WSGI app on a real loopback socket in a background thread (werkzeug, threaded)."""
from __future__ import annotations

import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:  # noqa: A002
        if type == "error":
            logging.getLogger("tests.loopback").error(message, *args)


class LoopbackServer:
    """``url`` is ``http://127.0.0.1:<port>/``; ``close()`` stops it."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class SubprocessFakeAPI:
    """The fake API in a child process, so memory measured here is the client's alone."""

    def __init__(self) -> None:
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        code = ("import sys, time\n"
                "from tests.api.fake_api import FakeAPI, FakeCDN\n"
                "from tests.api.loopback import LoopbackServer\n"
                "app = FakeAPI(FakeCDN()); server = LoopbackServer(app); app.url = server.url\n"
                "print(server.url, flush=True); sys.stdin.read(); server.close()\n"
                "import json; print(json.dumps([s.uploads for s in app.rec.seen]), flush=True)\n")
        self._proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.url = self._proc.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("the fake API subprocess did not start")

    def close(self) -> list[dict[str, list]]:
        """Stop the child; returns the uploads it saw, per request: field -> [bytes, sha256]."""
        import json

        if self._proc.poll() is not None:
            return []
        self._proc.stdin.close()
        seen = json.loads(self._proc.stdout.readline() or "[]")
        self._proc.wait(10)
        return seen
