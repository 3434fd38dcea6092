"""Child process of ``_common.engine``: the local engine on loopback until stdin closes.

The app is wrapped in ``_common.ServerTiming`` so every answer says how long the server spent
(``Server-Timing: app;dur=<ms>``, the added latency included): benchmarks subtract it.
"""
from __future__ import annotations

import json
import logging
import sys
import threading

from werkzeug.serving import make_server

from _common import ServerTiming
from ttsai_plugin.local import EngineConfig, FaultConfig, create_app


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    config = json.loads(sys.argv[1])
    keys = config["keys"]
    app = create_app(EngineConfig(keys=keys, credits={k: 1e9 for k in keys},
                                  latency=config["latency"],
                                  faults=FaultConfig(**config["faults"]),
                                  data_dir=config["data_dir"]))
    server = make_server("127.0.0.1", 0, ServerTiming(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_port}/v1/", flush=True)
    try:
        sys.stdin.read()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
