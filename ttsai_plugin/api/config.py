"""Where the API key, base URL and plan come from, and the one check that keeps the key safe.

Order: explicit arguments → environment (``TTSAI_API_KEY``, ``TTSAI_BASE_URL``, ``TTSAI_PLAN``)
→ the config file ``platformdirs.user_config_dir("ttsai")/config.toml`` (``TTSAI_CONFIG``
names another file). The key is held in a :class:`Secret` so no repr or log can show it.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from ..errors import ConfigError
from ..sentences import sentence

DEV_KEY = "sk-tts-local-dev"
"""The documented development key every local engine accepts (never valid on api.tts.ai):
what a client sends a loopback server when no key is configured."""

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.tts.ai/v1/"
DEFAULT_PLAN = "pro"
CONFIG_KEYS = ("api_key", "base_url", "plan")


class Secret:
    """A string that never shows itself: repr/str/format print a mask, pickling is refused."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(other._value, self._value)

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not picklable: the API key must not reach caches or files")


@dataclass(frozen=True)
class ClientConfig:
    """The resolved settings; ``api_key`` is None when nothing configured one."""

    api_key: Secret | None
    base_url: str
    plan: str
    base_url_configured: bool = False


def config_path() -> Path:
    """The config file: ``$TTSAI_CONFIG`` or ``<user config dir>/ttsai/config.toml``."""
    override = os.environ.get("TTSAI_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("ttsai")) / "config.toml"


def warn_if_others_can_write(folder: Path) -> bool:
    """Warn (and say True) when another user could replace the config in ``folder``: whoever
    writes there can point the base URL at their own server and collect the key."""
    if os.name != "posix":
        return False
    try:
        st = folder.stat()
    except OSError:
        return False
    sticky_shared = st.st_mode & 0o1000
    if st.st_mode & 0o022 and not sticky_shared:
        log.warning("The config folder %s is writable by other users, who could change the "
                    "API base URL; run: chmod go-w %s", folder, folder)
        return True
    return False


def load_config_file(path: Path | None = None) -> dict[str, str]:
    """The known keys of the config file ({} when it does not exist)."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"The config file {path} is not valid TOML: {sentence(str(e))}",
                          hint="Fix or delete it, or run `ttsai config` again.") from None
    if os.name == "posix" and "api_key" in data and path.stat().st_mode & 0o077:
        log.warning("The config file %s holding the API key is readable by other users; "
                    "run: chmod 600 %s", path, path)
    warn_if_others_can_write(path.parent)
    return {k: str(data[k]) for k in CONFIG_KEYS if data.get(k) not in (None, "")}


def save_config(*, api_key: str | Secret | None = None, base_url: str | None = None,
                plan: str | None = None, path: Path | None = None) -> Path:
    """Merge the given settings into the config file, written atomically with mode 0600."""
    path = path or config_path()
    values = load_config_file(path)
    if api_key is not None:
        values["api_key"] = api_key.get_secret_value() if isinstance(api_key, Secret) else api_key
    if base_url is not None:
        values["base_url"] = check_base_url(base_url)
    if plan is not None:
        values["plan"] = plan
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n"
                   for k, v in values.items() if v)
    # mkstemp creates the file 0600, so the key is never readable by others, not even briefly.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, in_process: bool = False) -> str:
    """Validate a base URL and give it a trailing slash.

    Plain ``http://`` would send the key in clear text, so it is refused unless the host is
    loopback, or the transport never leaves the process (``in_process``).
    """
    import httpx

    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as e:
        raise ConfigError(f"The API base URL {url!r} is not a URL: {sentence(str(e))}") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ConfigError(f"The API base URL {url!r} must start with https:// and name a host.",
                          hint=f"For TTS.ai use {DEFAULT_BASE_URL}")
    if parsed.userinfo:
        raise ConfigError("The API base URL must not contain a user name or password.",
                          hint="Give the API key with TTSAI_API_KEY or `ttsai config`.")
    if parsed.scheme == "http" and not (in_process or is_loopback_host(parsed.host)):
        raise ConfigError(
            f"Refusing plain http:// to {parsed.host}: the API key would travel unencrypted.",
            hint="Use https://, or http:// only to a local server (127.0.0.1, ::1, localhost).")
    text = str(parsed.copy_with(query=None, fragment=None))
    return text if text.endswith("/") else text + "/"


def resolve_config(api_key: str | Secret | None = None, base_url: str | None = None,
                   plan: str | None = None, *, in_process: bool = False) -> ClientConfig:
    """Resolve each setting on its own: argument, then environment, then config file."""
    file_values: dict[str, str] | None = None

    def pick(arg: Any, env: str, key: str) -> Any:
        nonlocal file_values
        if arg not in (None, ""):
            return arg
        if os.environ.get(env):
            return os.environ[env]
        if file_values is None:
            file_values = load_config_file()
        return file_values.get(key)

    key = pick(api_key, "TTSAI_API_KEY", "api_key")
    base = pick(base_url, "TTSAI_BASE_URL", "base_url")
    plan_name = pick(plan, "TTSAI_PLAN", "plan") or DEFAULT_PLAN
    if isinstance(key, str):
        key = Secret(key.strip())
    return ClientConfig(
        api_key=key or None,
        base_url=check_base_url(base, in_process=in_process) if base else DEFAULT_BASE_URL,
        plan=str(plan_name).strip().lower(),
        base_url_configured=bool(base),
    )
