"""Where clients are made: the configured TTS.ai service, or, with no key and no base URL
anywhere, the process's one built-in local engine, in-process (said once in the log).

The client (``api/``) never imports the engine; this is the one place that chooses it, so an
install without the engine's extras gets a clear error here instead of an ImportError deep in
a job.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.api._inprocess import InProcessTransport
from ttsai_plugin.api.config import DEV_KEY, Secret, resolve_config
from ttsai_plugin.errors import EngineMissingError

log = logging.getLogger("ttsai_plugin.api")

LOCAL_BASE_URL = "http://local.ttsai/v1/"
LOCAL_NOTICE = ("No TTS.ai API key configured: using the built-in local engine "
                "(offline; translation and cloning are mocked)")
ENGINE_EXTRA_HINT = ("Set your TTS.ai API key (TTSAI_API_KEY, or `ttsai config --api-key ...`), "
                     "or install the offline engine: pip install 'ttsai-plugin[engine]'.")

_lock = threading.Lock()
_app: Any = None
_notice_shown = False


def uses_local_engine(api_key: str | Secret | None = None, base_url: str | None = None) -> bool:
    """True when neither a key nor a base URL is configured anywhere (argument, environment,
    config file): jobs then run on the built-in engine."""
    cfg = resolve_config(api_key, base_url)
    return cfg.api_key is None and not cfg.base_url_configured


def local_transport() -> InProcessTransport:
    """A transport to the process's one in-process engine (made on first use, so every keyless
    client shares its files, credits and limits); EngineMissingError when its extras are missing."""
    global _app, _notice_shown
    with _lock:
        if _app is None:
            try:
                from ttsai_plugin.local import EngineConfig, create_app
            except ImportError as exc:
                raise EngineMissingError("No API key is set and the built-in local engine is "
                                         f"not installed (missing {exc.name or 'a package'}).",
                                         hint=ENGINE_EXTRA_HINT) from None
            _app = create_app(EngineConfig())
        if not _notice_shown:
            _notice_shown = True
            log.info(LOCAL_NOTICE)
    return InProcessTransport(_app)


def make_client(api_key: str | Secret | None = None, base_url: str | None = None,
                plan: str | None = None, **options: Any) -> TTSAIClient:
    """A client for the configured service, or one on the built-in local engine when nothing
    is configured (``client.is_local``). ``options`` go to ``TTSAIClient``."""
    if "transport" not in options and uses_local_engine(api_key, base_url):
        client = TTSAIClient(api_key=DEV_KEY, base_url=LOCAL_BASE_URL, plan=plan,
                             transport=local_transport(), **options)
        client.is_local = True
        return client
    return TTSAIClient(api_key=api_key, base_url=base_url, plan=plan, **options)
