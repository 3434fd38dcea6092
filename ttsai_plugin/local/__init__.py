"""The local engine: the TTS.ai REST contract served offline.

``create_app(config)`` is a WSGI app (in process via ``httpx.WSGITransport``); ``serve(config)``
runs it on loopback in a background thread. ``DEV_KEY`` (``sk-tts-local-dev``) is the
documented development key, on the pro plan by default.
"""
from __future__ import annotations

from .app import Engine, create_app
from .config import DEV_KEY, PLANS, EngineConfig, FaultConfig, Plan
from .server import Server, main, serve, serve_forever

__all__ = ["DEV_KEY", "PLANS", "Engine", "EngineConfig", "FaultConfig", "Plan", "Server",
           "create_app", "main", "serve", "serve_forever"]
