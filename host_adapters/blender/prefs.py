"""Add-on preferences (kept in userpref.blend, never in a project .blend) and the connection
they describe: which engine to talk to, and whether Blender's online access allows it.

With no key and no Base URL the jobs run on the built-in local engine, which the extension
carries (its classical part; see ``build.py``): ``engine()`` says which one is in use."""
from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bpy
from bpy.props import EnumProperty, StringProperty

from ttsai_plugin.errors import ConfigError, OfflineError

from . import compat

PACKAGE = __package__ or "ttsai"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TTSAIPreferences(bpy.types.AddonPreferences):
    """Stored by Blender in the user's preferences file, so the key never rides in a .blend."""

    bl_idname = PACKAGE

    api_key: StringProperty(  # type: ignore[valid-type]
        name="API Key", subtype="PASSWORD",
        description="Your TTS.ai key (sk-tts-…). Leave empty to use the local engine. "
                    "TTSAI_API_KEY overrides it")
    base_url: StringProperty(  # type: ignore[valid-type]
        name="Base URL", default="",
        description="API address; empty means https://api.tts.ai/v1/ with a key, or the local "
                    "engine without one. TTSAI_BASE_URL overrides it")
    plan: EnumProperty(  # type: ignore[valid-type]
        name="Plan", default="pro",
        items=[("pro", "Pro", "60 requests/min, 5 at once, 5,000 characters"),
               ("enterprise", "Enterprise", "300 requests/min, 20 at once, 50,000 characters")])
    model: StringProperty(name="Default TTS Model", default="kokoro")  # type: ignore[valid-type]
    voice: StringProperty(name="Default Voice", default="af_bella")  # type: ignore[valid-type]
    language: StringProperty(  # type: ignore[valid-type]
        name="Default Language", default="es",
        description="Default target language for dubbing (ISO code such as es, de, pt-BR)")
    media_folder: StringProperty(  # type: ignore[valid-type]
        name="Media Folder", default="//ttsai_media", subtype="DIR_PATH",
        options=compat.PATH_OPTIONS,
        description="Where results are written; // means next to the .blend")

    def draw(self, context: Any) -> None:
        col = self.layout.column()
        col.prop(self, "api_key")
        col.prop(self, "base_url")
        col.prop(self, "plan")
        col.separator()
        col.prop(self, "model")
        col.prop(self, "voice")
        col.prop(self, "language")
        col.prop(self, "media_folder")
        box = col.box()
        try:
            used = engine(settings(context))
        except Exception as exc:  # noqa: BLE001 - a bad Base URL is shown, not raised in draw
            used = Engine("error", f"Engine: {exc}", "")
        box.label(text=used.title, icon=_ENGINE_ICONS.get(used.kind, "INFO"))
        for line in wrap(used.detail):
            box.label(text=line)
        if os.environ.get("TTSAI_API_KEY") or os.environ.get("TTSAI_BASE_URL"):
            col.label(text="TTSAI_API_KEY / TTSAI_BASE_URL are set and override these.",
                      icon="INFO")
        if not bpy.app.online_access:
            col.label(text="Online access is off: only the local engine or a loopback URL work.",
                      icon="ERROR")


@dataclass(frozen=True)
class Settings:
    """The resolved preferences (environment first). ``repr`` hides the key."""

    api_key: str
    base_url: str
    plan: str
    model: str
    voice: str
    language: str
    media_folder: str

    def __repr__(self) -> str:
        return (f"Settings(api_key={'set' if self.api_key else 'unset'}, "
                f"base_url={self.base_url!r}, plan={self.plan!r})")


def preferences(context: Any = None) -> Any:
    ctx = context or bpy.context
    addon = ctx.preferences.addons.get(PACKAGE)
    return addon.preferences if addon is not None else None


def settings(context: Any = None) -> Settings:
    p = preferences(context)
    get = (lambda name, default: getattr(p, name, default)) if p else (lambda n, d: d)
    return Settings(
        api_key=os.environ.get("TTSAI_API_KEY") or get("api_key", ""),
        base_url=os.environ.get("TTSAI_BASE_URL") or get("base_url", ""),
        plan=os.environ.get("TTSAI_PLAN") or get("plan", "pro"),
        model=get("model", "kokoro"), voice=get("voice", "af_bella"),
        language=get("language", "es"), media_folder=get("media_folder", "//ttsai_media"))


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in LOOPBACK


def _effective(s: Settings) -> tuple[bool, bool, str]:
    """``(has_key, url_configured, base_url)`` after the core's own resolution (preferences,
    then environment, then the ``ttsai`` config file), so the checks see what the client uses."""
    from ttsai_plugin.api import resolve_config
    cfg = resolve_config(api_key=s.api_key or None, base_url=s.base_url or None, plan=s.plan)
    return cfg.api_key is not None, cfg.base_url_configured, cfg.base_url


def check_online(s: Settings) -> None:
    """Refuse anything that would leave this machine while Blender's online access is off."""
    if bpy.app.online_access:
        return
    has_key, configured, url = _effective(s)
    if (configured and not is_loopback(url)) or (has_key and not configured):
        raise OfflineError(
            f"Blender's online access is off, so TTS.ai cannot reach {urlsplit(url).hostname}.",
            hint="Allow it in Preferences → System → Network → Allow Online Access "
                 "(or start Blender with --online-mode), or use a local engine "
                 "(`ttsai serve`, then set the Base URL to its http://127.0.0.1 address).")


@dataclass(frozen=True)
class Engine:
    """Which engine the jobs go to: ``kind`` is cloud, server, local or missing."""

    kind: str
    title: str
    detail: str


#: Operations the built-in engine runs only with modules the extension may not carry: the
#: recogniser and librosa never (pocketsphinx; librosa → numba/llvmlite: ~90 MB).
NEEDS: dict[str, tuple[str, ...]] = {
    "enhance": ("pyrnnoise",),          # no pyrnnoise 0.4 wheel for macOS
    "transcribe": ("pocketsphinx",), "dub": ("pocketsphinx",),
    "voice_convert": ("pocketsphinx", "librosa"), "restyle": ("pocketsphinx", "librosa"),
    "analyze": ("librosa",)}
#: Programs the built-in engine runs that no wheel carries: speech comes from espeak-ng.
PROGRAMS: dict[str, tuple[str, ...]] = {"narrate": ("espeak-ng", "espeak")}
PROGRAM_HINT = ("Install espeak-ng (Linux: apt-get install espeak-ng, macOS: brew install "
                "espeak-ng, Windows: the espeak-ng installer from its GitHub releases), or set "
                "your TTS.ai API key here.")
LABELS = {"narrate": "Narrate", "enhance": "Enhance", "dereverb": "Remove Echo",
          "split_stems": "Split Stems", "transcribe": "Transcribe", "dub": "Dub",
          "voice_convert": "Convert Voice", "restyle": "Restyle", "analyze": "Analyze"}
_ENGINE_ICONS = {"cloud": "URL", "server": "LINKED", "local": "CHECKMARK", "missing": "ERROR",
                 "error": "ERROR"}
COMPANION = "TTS.ai Local Engine"
_SERVE_HINT = (f"Install the {COMPANION} extension (ttsai_local_engine-…zip, from where you got "
               "this one) for these offline, or set your TTS.ai API key here, or run `ttsai "
               "serve` and set the Base URL to its http://127.0.0.1 address.")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _absent(operation: str) -> list[str]:
    """What the built-in engine lacks here for ``operation``: modules, or a program."""
    out = [m for m in NEEDS.get(operation, ()) if not _installed(m)]
    programs = PROGRAMS.get(operation, ())
    if programs and not any(shutil.which(p) for p in programs):
        out.append(programs[0])
    return out


def offline_support() -> tuple[list[str], list[str]]:
    """``(works, needs_more)``: operation labels the built-in engine runs here, and the rest."""
    works, missing = [], []
    for op, label in LABELS.items():
        (missing if _absent(op) else works).append(label)
    return works, missing


def engine(s: Settings) -> Engine:
    """The engine these settings reach, in words a user can act on."""
    has_key, configured, url = _effective(s)
    host = urlsplit(url).hostname or url
    if configured and is_loopback(url):
        return Engine("server", f"Engine: local server at {host}",
                      "A `ttsai serve` engine on this computer; nothing leaves it.")
    if configured or has_key:
        billed = "billed to your key" if has_key else "no key set: the server will refuse"
        return Engine("cloud", f"Engine: TTS.ai at {host}", f"Jobs are sent there, {billed}.")
    if not _installed("werkzeug"):
        return Engine("missing", "Engine: none (no key, and the local engine is missing)",
                      _SERVE_HINT)
    works, missing = offline_support()
    detail = f"Offline and free, on this computer: {', '.join(works)}."
    if missing:
        detail += (f" {', '.join(missing)} need the {COMPANION} extension, an API key or "
                   "`ttsai serve`")
        detail += " (Narrate: or espeak-ng installed)." if "Narrate" in missing else "."
    return Engine("local", "Engine: built-in local engine (no API key)", detail)


def wrap(text: str, width: int = 70) -> list[str]:
    """Lines for ``layout.label`` (Blender does not wrap labels)."""
    import textwrap
    return textwrap.wrap(text, width) or [""]


def check_engine(s: Settings, operation: str) -> None:
    """Refuse, before any work, a job the built-in engine cannot run in this extension."""
    absent = _absent(operation)
    if not absent:
        return
    has_key, configured, _url = _effective(s)
    if has_key or configured:
        return
    label = LABELS.get(operation, operation)
    if set(absent) & {p[0] for p in PROGRAMS.values()}:
        raise ConfigError(f"{label} on the built-in local engine needs {absent[0]}, a small "
                          "speech program, and it is not installed.", hint=PROGRAM_HINT)
    raise ConfigError(f"{label} is not part of the built-in local engine in Blender: it needs "
                      f"{' and '.join(absent)}, which this extension does not carry.",
                      hint=_SERVE_HINT)


_notice_lock = threading.Lock()
_notice_given = False


def engine_notice(s: Settings) -> str | None:
    """Once per session, for the first job on the built-in engine: say so plainly."""
    global _notice_given
    with _notice_lock:
        if _notice_given:
            return None
        used = engine(s)
        if used.kind != "local":
            return None
        _notice_given = True
    missing = offline_support()[1]
    more = (f" {', '.join(missing)} need the {COMPANION} extension, an API key or `ttsai "
            "serve`." if missing else "")
    return ("No API key is set, so TTS.ai ran this on its built-in local engine: offline and "
            f"free, on this computer.{more}")


def make_client(s: Settings) -> Any:
    """A TTSAIClient for these settings (runs on workers: no ``bpy`` here; the online-access
    check already ran on the main thread when the job was planned)."""
    from ttsai_plugin import clients
    has_key, configured, _url = _effective(s)
    if not has_key and not configured:
        try:
            import ttsai_plugin.local  # noqa: F401 - the in-process engine needs its extras
        except ImportError as exc:
            raise ConfigError(
                f"No API key is set and the built-in local engine is not installed ({exc.name}).",
                hint="Set your TTS.ai API key in the add-on preferences, or run `ttsai serve` "
                     "and set the Base URL to its http://127.0.0.1 address.") from None
    return clients.make_client(api_key=s.api_key or None, base_url=s.base_url or None,
                               plan=s.plan)


def user_dir() -> Path:
    """Per-user data of the extension (cache, journal): survives upgrades of the package."""
    try:
        return Path(bpy.utils.extension_path_user(PACKAGE, create=True))
    except ValueError:  # loaded as a legacy add-on, not as an extension
        return Path(bpy.utils.user_resource("DATAFILES", path="ttsai", create=True))
