"""``TTSAIClient``: one method per endpoint of the contract (see docs/architecture.md)."""
from __future__ import annotations

import os
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from ..errors import (APIError, APITimeoutError, InputError, LimitExceededError, MediaError,
                      TaskFailedError)
from . import accept, timeouts
from ._base import Answer, BaseClient
from ._errors import scrub
from .paths import endpoint
from .transfer import atomic_temp_dir, check_upload, format_for, temp_beside
from .types import (AudioResult, Analysis, ChatTurn, ModelInfo, Stems, TaskResult, Transcript,
                    Translation, VoiceList, _num)
from .waits import wait as cancellable_wait

MAX_VOICE_PAGES = 50
MAX_POLL_INTERVAL = 30.0

PathLike = str | os.PathLike[str]
Progress = Callable[[float, str], None]


class TTSAIClient(BaseClient):
    """The TTS.ai API (or the local engine when no key is configured), synchronously."""

    # --- speech out --------------------------------------------------------------------

    def tts(self, text: str, *, voice: str, out: PathLike, model: str = "kokoro",
            format: str | None = None, speed: float = 1.0, language: str | None = None,
            stream: bool = False) -> AudioResult:
        """Speak ``text`` with ``voice`` into ``out``; ``stream`` writes chunks as they arrive."""
        self._check_text(text)
        _check_range("speed", speed, 0.5, 2.0)
        body = {"model": model, "text": text, "voice": voice, "speed": speed,
                "format": format_for(Path(out), format), "language": language, "stream": stream}
        with timeouts.expecting(timeouts.speech_seconds(text, speed)):
            return self._audio("tts", out, accept.speech(text, speed),
                               json={k: v for k, v in body.items() if v is not None})

    def clone(self, reference_audio: PathLike, *, text: str, out: PathLike,
              model: str = "chatterbox", format: str | None = None,
              language: str | None = None) -> AudioResult:
        """Speak ``text`` in the voice of ``reference_audio`` (10–30 s of clean speech)."""
        self._check_text(text)
        with timeouts.expecting(timeouts.speech_seconds(text)):
            return self._audio("clone", out, accept.speech(text),
                               files={"reference_audio": reference_audio},
                               data={"text": text, "model": model, "language": language,
                                     "format": format_for(Path(out), format)})

    # --- audio in, audio out ---------------------------------------------------------

    def voice_convert(self, file: PathLike, *, target_voice: str, out: PathLike,
                      model: str = "openvoice", format: str | None = None) -> AudioResult:
        return self._audio("voice_convert", out, _same_length(file), files={"file": file},
                           data={"target_voice": target_voice, "model": model,
                                 "format": format_for(Path(out), format)})

    def speech_to_speech(self, file: PathLike, *, voice: str, out: PathLike,
                         model: str = "openvoice", emotion: str | None = None,
                         speed: float = 1.0) -> AudioResult:
        _check_range("speed", speed, 0.5, 2.0)
        seconds = _seconds(file)
        expect = accept.Expect(high=None if seconds is None else 3 * seconds / speed + 10)
        return self._audio("speech_to_speech", out, expect, files={"file": file},
                           data={"voice": voice, "model": model, "emotion": emotion,
                                 "speed": speed})

    def enhance(self, file: PathLike, *, out: PathLike, denoise: bool = True,
                enhance_clarity: bool = True, super_resolution: bool = False,
                strength: int = 2) -> AudioResult:
        _check_range("strength", strength, 1, 3)
        return self._audio("enhance", out, _same_length(file), files={"file": file},
                           data={"denoise": denoise, "enhance_clarity": enhance_clarity,
                                 "super_resolution": super_resolution, "strength": strength})

    def dereverb(self, file: PathLike, *, out: PathLike, type: str = "both",
                 intensity: int = 3) -> AudioResult:
        _check_range("intensity", intensity, 1, 5)
        return self._audio("dereverb", out, _same_length(file), files={"file": file},
                           data={"type": type, "intensity": intensity})

    def convert(self, file: PathLike, *, out: PathLike, format: str | None = None,
                bitrate: int | None = None, sample_rate: int | None = None,
                channels: str | None = None) -> AudioResult:
        """Re-encode ``file``; the format defaults from ``out``'s suffix, else WAV."""
        return self._audio("convert", out, _same_length(file), files={"file": file},
                           data={"format": format_for(Path(out), format) or "wav",
                                 "bitrate": bitrate, "sample_rate": sample_rate,
                                 "channels": channels})

    # --- audio in, JSON out ----------------------------------------------------------

    def stt(self, file: PathLike, *, model: str = "whisper", language: str | None = None,
            timestamps: bool = True, diarize: bool = False) -> Transcript:
        answer = self._call("stt", files={"file": file},
                            data={"model": model, "language": language,
                                  "timestamps": timestamps, "diarize": diarize})
        return Transcript.from_json(_object(answer), mock=answer.mock)

    def analyze(self, file: PathLike) -> Analysis:
        answer = self._call("analyze", files={"file": file})
        return Analysis.from_json(_object(answer), mock=answer.mock)

    def speech_translate(self, file: PathLike, *, target_language: str, out: PathLike,
                         voice: str | None = None, preserve_voice: bool = False) -> Translation:
        """Dub ``file`` into ``target_language``; the dubbed audio is fetched to ``out``."""
        answer = self._call("speech_translate", files={"file": file},
                            data={"target_language": target_language, "voice": voice,
                                  "preserve_voice": preserve_voice})
        body = _object(answer)
        if not body.get("audio_url"):
            raise APIError("The translation answer has no audio_url.", status=answer.status)
        seconds = _seconds(file)
        expect = accept.Expect(high=None if seconds is None else 3 * seconds + 30)
        path = self._fetch_audio(body["audio_url"], Path(out), expect, "speech_translate")
        return Translation.from_json(body, path=path, mock=answer.mock)

    def voice_chat(self, *, text: str | None = None, audio: PathLike | None = None,
                   voice: str = "af_bella", tts_model: str = "kokoro",
                   system_prompt: str | None = None, conversation_id: str | None = None,
                   out: PathLike | None = None) -> ChatTurn:
        """One turn of a spoken conversation; the reply audio is fetched to ``out`` if given."""
        if (text is None) == (audio is None):
            raise InputError("voice_chat needs exactly one of text= or audio=.")
        fields = {"voice": voice, "tts_model": tts_model, "system_prompt": system_prompt,
                  "conversation_id": conversation_id}
        if text is not None:
            self._check_text(text)
            body = {k: v for k, v in {**fields, "text": text}.items() if v is not None}
            answer = self._call("voice_chat", json=body)
        else:
            answer = self._call("voice_chat", files={"audio": audio}, data=fields)
        body = _object(answer)
        path = None
        if out and body.get("audio_url"):
            path = self._fetch_audio(body["audio_url"], Path(out), accept.Expect(), "voice_chat")
        return ChatTurn.from_json(body, path=path, mock=answer.mock)

    # --- long tasks ------------------------------------------------------------------

    def separate(self, file: PathLike, *, out_dir: PathLike, model: str = "demucs",
                 stems: int = 2, format: str = "wav", webhook_url: str | None = None,
                 poll_interval: float = 1.0, timeout: float = 3600,
                 on_progress: Progress | None = None) -> Stems:
        """Split ``file`` into stems saved as ``out_dir/<stem>.<format>``; waits for long tasks."""
        if stems not in (2, 4, 5, 6):
            raise InputError(f"stems must be 2, 4, 5 or 6, not {stems}.")
        answer = self._call("separate", files={"file": file}, settle=False,
                            data={"model": model, "stems": stems, "format": format,
                                  "webhook_url": webhook_url})
        task = TaskResult.from_json(_object(answer))
        if answer.status == 202 or not task.stems:
            task = TaskResult.from_json(self._poll(_object(answer), poll_interval, timeout,
                                                   on_progress))
        paths = self._fetch_all(task.stems, Path(out_dir), format, _same_length(file))
        if on_progress:
            on_progress(1.0, "Stems downloaded")
        return Stems(paths, task.stems, task.credits_used, task.task_id, answer.mock)

    def result(self, task_id: str) -> TaskResult:
        """The state of a long task by id."""
        return TaskResult.from_json(self._result_json(task_id))

    def _result_json(self, task_id: str) -> dict[str, Any]:
        path = endpoint("result").path.format(task_id=urllib.parse.quote(task_id, safe=""))
        return _object(self._request("GET", path, what="result"))

    def _poll(self, body: dict[str, Any], poll_interval: float = 1.0, timeout: float = 3600,
              on_progress: Progress | None = None) -> dict[str, Any]:
        """Poll a long task (``task_id`` / ``result_url``) until it ends; its final JSON.

        Any success spelling (``success``, ``completed`` …) returns, any failure (``failed``,
        ``error`` …) raises TaskFailedError; waits wake at once on cancel."""
        deadline = time.monotonic() + timeout
        task = TaskResult.from_json(body)
        task_id, url = task.task_id, task.result_url
        if not url and not task_id:
            raise APIError("The long-task answer has neither result_url nor task_id.")
        interval = min(max(poll_interval, 0.05), MAX_POLL_INTERVAL)
        while not task.succeeded:
            if task.failed:
                err = task.error or {}
                msg = scrub(str(err.get("message") or "no reason given"), self._secrets())
                error = TaskFailedError(f"Task {task_id or ''} {task.status}: {msg}"
                                        .replace("  ", " "),
                                        hint="Try again, or a shorter clip / fewer stems.")
                error.error = err  # type: ignore[attr-defined]
                raise error
            if on_progress:
                on_progress(task.progress or 0.0, f"Task {task.status}")
            if time.monotonic() + interval > deadline:
                raise APITimeoutError(f"Task {task_id} did not finish within {timeout:g} s.",
                                      hint="Fetch it later with client.result(task_id).")
            cancellable_wait(interval, self.cancel_token)
            if url:
                polled = _object(self._request("GET", url, what="poll"))
            else:
                polled = self._result_json(task_id)  # type: ignore[arg-type]
            body = {**body, **polled}
            fresh = TaskResult.from_json(polled)
            task = TaskResult(fresh.task_id or task_id, fresh.status, fresh.result_url or url,
                              fresh.stems, fresh.credits_used, fresh.error, fresh.progress)
        self._note_credits(body)
        return body

    def _fetch_all(self, urls: dict[str, str], out_dir: Path, fmt: str,
                   expect: accept.Expect) -> dict[str, Path]:
        """Download and check every stem, then move them into place together (all or none)."""
        if not urls:
            raise APIError("The stem separation finished without any stems.")
        staging = atomic_temp_dir(out_dir)
        try:
            staged = {name: self._fetch_audio(url, staging / f"{_safe_name(name)}.{fmt}",
                                              expect, "separate")
                      for name, url in urls.items()}
            final = {}
            for name, tmp in staged.items():
                final[name] = out_dir / tmp.name
                os.replace(tmp, final[name])
            return final
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # --- catalogue and files ---------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        body = _object(self._call("models"))
        return [ModelInfo.from_json(m) for m in body.get("models") or []]

    def voices(self, *, model: str | None = None, language: str | None = None,
               gender: str | None = None) -> VoiceList:
        """Every voice, page after page while the answer's ``total`` says there are more."""
        query = {"model": model, "language": language, "gender": gender}
        first = VoiceList.from_json(_object(self._call("voices", params=query)))
        voices, seen = list(first.voices), {v.id for v in first.voices}
        for _ in range(MAX_VOICE_PAGES):
            if len(voices) >= first.total:
                break
            page = VoiceList.from_json(_object(self._call(
                "voices", params={**query, "offset": len(voices), "page": None})))
            fresh = [v for v in page.voices if v.id not in seen]
            if not fresh:
                break  # a server that ignores offset: what we have is all we can get
            voices += fresh
            seen.update(v.id for v in fresh)
        return VoiceList(voices, max(first.total, len(voices)))

    def download(self, url: str, out: PathLike) -> Path:
        """Fetch a URL the API handed out into ``out``; the key goes only to the API origin."""
        answer = self._request("GET", url, out=Path(out), what="download", counted=False)
        if answer.path is None:
            raise APIError(f"Expected a file from {self.url(url).host}, got JSON.",
                           status=answer.status)
        return answer.path

    # --- helpers ---------------------------------------------------------------------

    def _call(self, name: str, *, files: dict[str, PathLike] | None = None,
              out: Path | None = None, settle: bool = True, **kwargs: Any) -> Answer:
        """One endpoint call; a 202 (the service queued it) is polled to its end."""
        ep = endpoint(name)
        checked = {field: check_upload(path, ep) for field, path in (files or {}).items()}
        answer = self._request(ep.method, ep.path, files=checked or None, out=out, what=name,
                               **kwargs)
        if settle and answer.status == 202 and isinstance(answer.json, dict):
            answer = Answer(200, answer.headers, json=self._poll(answer.json))
        return answer

    def _note_credits(self, body: dict[str, Any]) -> None:
        """Credits a task reported only in its JSON (no headers on a polled result)."""
        self._billed(_num(body.get("credits_used")), _num(body.get("credits_remaining")))

    def _audio(self, name: str, out: PathLike, expect: accept.Expect,
               **kwargs: Any) -> AudioResult:
        """An audio answer written to ``out`` only once it decodes and fits ``expect``."""
        out = Path(out)
        staged = temp_beside(out)
        check = _checker(expect, out.suffix, name)
        try:
            answer = self._call(name, out=staged, accept=check, **kwargs)
            if answer.path is None:
                body = _object(answer)
                if not body.get("audio_url"):
                    raise APIError(f"The {name} answer has neither audio nor audio_url.",
                                   status=answer.status)
                self._fetch_audio(body["audio_url"], staged, expect, name, suffix=out.suffix)
            os.replace(staged, out)
        finally:
            staged.unlink(missing_ok=True)
        return AudioResult(out, answer.headers.get("content-type"), answer.credits_used,
                           answer.mock)

    def _fetch_audio(self, url: str, out: Path, expect: accept.Expect, what: str, *,
                     suffix: str | None = None) -> Path:
        """Download audio the API pointed at, checked like a direct answer."""
        answer = self._request("GET", url, out=out, what="download", counted=False,
                               accept=_checker(expect, suffix or out.suffix, what))
        if answer.path is None:
            raise APIError(f"Expected a file from {self.url(url).host}, got JSON.",
                           status=answer.status)
        return answer.path

    def _check_text(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise InputError("The text is empty.", hint="Type or paste something to speak.")
        limit = self.plan.max_text_chars
        if len(text) > limit:
            raise LimitExceededError(
                f"The text is {len(text):,} characters; the {self.plan.name} plan allows "
                f"{limit:,} per request.",
                hint="Split it into parts (narrate does this at sentence ends) or upgrade "
                     "to Enterprise (50,000).")


def _checker(expect: accept.Expect, suffix: str, what: str):
    """An ``accept`` hook: a file answer must decode, fit ``expect`` and match ``suffix``."""
    def check(answer: Answer) -> None:
        if answer.path is None:
            return
        try:
            found = accept.check(answer.path, expect, what=what)
            accept.conform(answer.path, found, suffix, what=what)
        except BaseException:
            answer.path.unlink(missing_ok=True)
            raise
    return check


def _seconds(file: PathLike) -> float | None:
    """Seconds of an upload, or None when ffmpeg cannot tell (the service may still can)."""
    from ..media.probe import duration
    try:
        seconds = duration(file)
    except (MediaError, InputError, OSError):
        return None
    return seconds if seconds > 0 else None


def _same_length(file: PathLike) -> accept.Expect:
    return accept.same_length(_seconds(file))


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low:g} and {high:g}, not {value:g}.")


def _object(answer: Answer) -> dict[str, Any]:
    if not isinstance(answer.json, dict):
        raise APIError(f"Expected a JSON object from the API (HTTP {answer.status}).",
                       status=answer.status)
    return answer.json


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return cleaned or "stem"
