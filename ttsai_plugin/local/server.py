"""Serving the engine on a socket: ``serve()`` for tests and tools, ``main()`` for ``ttsai serve``.

The server is threaded (a thread per connection), so plan concurrency limits are observable.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Sequence

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

from .app import Engine, create_app
from .config import DEV_KEY, EngineConfig, FaultConfig


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request log lines (the engine logs what matters)."""

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002 - werkzeug's signature
        if type == "error":
            super().log(type, message, *args)

    def connection_dropped(self, error: BaseException, environ=None) -> None:
        pass


@dataclass
class Server:
    """A running engine: ``url`` is its base URL (``http://127.0.0.1:PORT/v1/``)."""

    url: str
    key: str
    engine: Engine
    _httpd: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def port(self) -> int:
        return self._httpd.port

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=10)
        self._httpd.server_close()
        self.engine.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_server(config: EngineConfig, host: str = "127.0.0.1", port: int = 0) -> ThreadedWSGIServer:
    """A threaded server whose connections time out after ``config.read_timeout`` idle seconds
    (a client that sends half a request and stalls holds a thread no longer than that)."""
    engine = create_app(config)
    handler = type("_TimedHandler", (_QuietHandler,), {"timeout": config.read_timeout})
    httpd = ThreadedWSGIServer(host, port, engine, handler=handler)
    httpd.daemon_threads = True
    return httpd


def serve(config: EngineConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> Server:
    """Start the engine on ``host:port`` (0 = a free port) in a background thread."""
    config = config or EngineConfig()
    httpd = make_server(config, host, port)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              name="ttsai-engine", daemon=True)
    thread.start()
    key = next(iter(config.keys), DEV_KEY)
    return Server(f"http://{_url_host(host)}:{httpd.port}/v1/", key, httpd.app, httpd, thread)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port(text: str) -> int:
    """A TCP port: the OS would silently wrap 99999 to 34463 and serve somewhere unexpected."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1-65535, or 0 for any free one")
    return port


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ttsai serve",
        description="Run the local TTS.ai-compatible engine (the same REST contract, offline).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765,
                   help="port (0 = any free port; default 8765)")
    p.add_argument("--key", action="append", dest="keys", metavar="KEY",
                   help=f"accepted API key (repeatable; default the dev key {DEV_KEY})")
    p.add_argument("--plan", choices=("pro", "enterprise"), default="pro",
                   help="plan of every key: its rate, concurrency and text limits")
    p.add_argument("--credits", type=float, default=1_000_000, help="starting credits per key")
    p.add_argument("--latency", type=float, default=0.0, metavar="S",
                   help="seconds added to every request")
    p.add_argument("--fault-rate", type=float, default=0.0, metavar="R",
                   help="share of requests (0..1) that fail: 429/500/503, drops, truncation, slow")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault RNG")
    p.add_argument("--data-dir", default=None, help="where result files are kept (default: temp)")
    p.add_argument("--allow-webhook", action="append", dest="webhooks", metavar="HOST:PORT",
                   default=[], help="a loopback webhook receiver tasks may call (repeatable; "
                                    "none by default)")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="prefix of the file URLs handed out (default: this server's address)")
    p.add_argument("--file-ttl", type=float, default=24 * 3600, metavar="S",
                   help="seconds a result file stays downloadable (default 86400)")
    return p


def config_from_args(args: argparse.Namespace) -> EngineConfig:
    keys = args.keys or [DEV_KEY]
    return EngineConfig(keys={k: args.plan for k in keys},
                        credits={k: args.credits for k in keys}, latency=args.latency,
                        faults=FaultConfig.uniform(args.fault_rate, seed=args.seed),
                        data_dir=args.data_dir, webhook_hosts=tuple(args.webhooks),
                        public_base_url=args.public_url, file_ttl_seconds=args.file_ttl)


def serve_forever(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl-C); the CLI calls this with ``parser()``'s arguments."""
    config = config_from_args(args)
    previous = _stop_on_sigterm()  # before the banner: a supervisor may stop us once it reads it
    httpd = None
    try:
        httpd = make_server(config, args.host, args.port)
        dev = " (the development key)" if DEV_KEY in config.keys else ""
        print(f"ttsai local engine at http://{_url_host(args.host)}:{httpd.port}/v1/ — "
              f"plan {args.plan}, {len(config.keys)} key(s){dev}; Ctrl-C to stop", flush=True)
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if httpd is not None:
            httpd.server_close()
            httpd.app.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _stop_on_sigterm():
    """SIGTERM (systemd, docker stop, kill) cleans up exactly like Ctrl-C."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        FaultConfig.uniform(args.fault_rate)
    except ValueError as e:
        print(f"ttsai serve: {e}", file=sys.stderr)
        return 2
    return serve_forever(args)
