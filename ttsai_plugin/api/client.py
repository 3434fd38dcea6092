"""``TTSAIClient``: one method per endpoint of the contract (see docs/architecture.md)."""
from __future__ import annotations

import os
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from ..errors import APIError, APITimeoutError, InputError, LimitExceededError, TaskFailedError
from ._base import Answer, BaseClient
from ._errors import scrub
from .paths import endpoint
from .transfer import atomic_temp_dir, check_upload, format_for
from .types import (AudioResult, Analysis, ChatTurn, ModelInfo, Stems, TaskResult, Transcript,
                    Translation, VoiceList)

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
        return self._audio("tts", out, json={k: v for k, v in body.items() if v is not None})

    def clone(self, reference_audio: PathLike, *, text: str, out: PathLike,
              model: str = "chatterbox", format: str | None = None,
              language: str | None = None) -> AudioResult:
        """Speak ``text`` in the voice of ``reference_audio`` (10–30 s of clean speech)."""
        self._check_text(text)
        return self._audio("clone", out, files={"reference_audio": reference_audio},
                           data={"text": text, "model": model, "language": language,
                                 "format": format_for(Path(out), format)})

    # --- audio in, audio out ---------------------------------------------------------

    def voice_convert(self, file: PathLike, *, target_voice: str, out: PathLike,
                      model: str = "openvoice", format: str | None = None) -> AudioResult:
        return self._audio("voice_convert", out, files={"file": file},
                           data={"target_voice": target_voice, "model": model,
                                 "format": format_for(Path(out), format)})

    def speech_to_speech(self, file: PathLike, *, voice: str, out: PathLike,
                         model: str = "openvoice", emotion: str | None = None,
                         speed: float = 1.0) -> AudioResult:
        _check_range("speed", speed, 0.5, 2.0)
        return self._audio("speech_to_speech", out, files={"file": file},
                           data={"voice": voice, "model": model, "emotion": emotion,
                                 "speed": speed})

    def enhance(self, file: PathLike, *, out: PathLike, denoise: bool = True,
                enhance_clarity: bool = True, super_resolution: bool = False,
                strength: int = 2) -> AudioResult:
        _check_range("strength", strength, 1, 3)
        return self._audio("enhance", out, files={"file": file},
                           data={"denoise": denoise, "enhance_clarity": enhance_clarity,
                                 "super_resolution": super_resolution, "strength": strength})

    def dereverb(self, file: PathLike, *, out: PathLike, type: str = "both",
                 intensity: int = 3) -> AudioResult:
        _check_range("intensity", intensity, 1, 5)
        return self._audio("dereverb", out, files={"file": file},
                           data={"type": type, "intensity": intensity})

    def convert(self, file: PathLike, *, out: PathLike, format: str | None = None,
                bitrate: int | None = None, sample_rate: int | None = None,
                channels: str | None = None) -> AudioResult:
        """Re-encode ``file``; the format defaults from ``out``'s suffix, else WAV."""
        return self._audio("convert", out, files={"file": file},
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
        path = self.download(body["audio_url"], out)
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
        path = self.download(body["audio_url"], out) if out and body.get("audio_url") else None
        return ChatTurn.from_json(body, path=path, mock=answer.mock)

    # --- long tasks ------------------------------------------------------------------

    def separate(self, file: PathLike, *, out_dir: PathLike, model: str = "demucs",
                 stems: int = 2, format: str = "wav", webhook_url: str | None = None,
                 poll_interval: float = 1.0, timeout: float = 3600,
                 on_progress: Progress | None = None) -> Stems:
        """Split ``file`` into stems saved as ``out_dir/<stem>.<format>``; waits for long tasks."""
        if stems not in (2, 4, 5, 6):
            raise InputError(f"stems must be 2, 4, 5 or 6, not {stems}.")
        answer = self._call("separate", files={"file": file},
                            data={"model": model, "stems": stems, "format": format,
                                  "webhook_url": webhook_url})
        task = TaskResult.from_json(_object(answer))
        if answer.status == 202 or not task.stems:
            task = self._wait(task, poll_interval, timeout, on_progress)
        paths = self._fetch_all(task.stems, Path(out_dir), format)
        if on_progress:
            on_progress(1.0, "Stems downloaded")
        return Stems(paths, task.stems, task.credits_used, task.task_id, answer.mock)

    def result(self, task_id: str) -> TaskResult:
        """The state of a long task by id."""
        path = endpoint("result").path.format(task_id=urllib.parse.quote(task_id, safe=""))
        return TaskResult.from_json(_object(self._request("GET", path, what="result")))

    def _wait(self, task: TaskResult, poll_interval: float, timeout: float,
              on_progress: Progress | None) -> TaskResult:
        deadline = time.monotonic() + timeout
        task_id, url = task.task_id, task.result_url
        if not url and not task_id:
            raise APIError("The long-task answer has neither result_url nor task_id.")
        while task.status != "success":
            if task.status == "failed":
                err = task.error or {}
                msg = scrub(str(err.get("message") or "no reason given"), self._secrets())
                error = TaskFailedError(f"Task {task_id or ''} failed: {msg}".replace("  ", " "),
                                        hint="Try again, or a shorter clip / fewer stems.")
                error.error = err  # type: ignore[attr-defined]
                raise error
            if on_progress:
                on_progress(task.progress or 0.0, f"Task {task.status}")
            if time.monotonic() + poll_interval > deadline:
                raise APITimeoutError(f"Task {task_id} did not finish within {timeout:g} s.",
                                      hint="Fetch it later with client.result(task_id).")
            time.sleep(poll_interval)
            if url:
                polled = TaskResult.from_json(_object(self._request("GET", url, what="poll")))
            else:
                polled = self.result(task_id)  # type: ignore[arg-type]
            task = TaskResult(polled.task_id or task_id, polled.status, polled.result_url or url,
                              polled.stems, polled.credits_used, polled.error, polled.progress)
        return task

    def _fetch_all(self, urls: dict[str, str], out_dir: Path, fmt: str) -> dict[str, Path]:
        """Download every stem, then move them into place together (all or none)."""
        if not urls:
            raise APIError("The stem separation finished without any stems.")
        staging = atomic_temp_dir(out_dir)
        try:
            staged = {name: self.download(url, staging / f"{_safe_name(name)}.{fmt}")
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
        answer = self._call("voices", params={"model": model, "language": language,
                                              "gender": gender})
        return VoiceList.from_json(_object(answer))

    def download(self, url: str, out: PathLike) -> Path:
        """Fetch a URL the API handed out into ``out``; the key goes only to the API origin."""
        answer = self._request("GET", url, out=Path(out), what="download")
        if answer.path is None:
            raise APIError(f"Expected a file from {self.url(url).host}, got JSON.",
                           status=answer.status)
        return answer.path

    # --- helpers ---------------------------------------------------------------------

    def _call(self, name: str, *, files: dict[str, PathLike] | None = None,
              out: Path | None = None, **kwargs: Any) -> Answer:
        ep = endpoint(name)
        checked = {field: check_upload(path, ep) for field, path in (files or {}).items()}
        return self._request(ep.method, ep.path, files=checked or None, out=out, what=name,
                             **kwargs)

    def _audio(self, name: str, out: PathLike, **kwargs: Any) -> AudioResult:
        out = Path(out)
        answer = self._call(name, out=out, **kwargs)
        if answer.path is None:
            body = _object(answer)
            if not body.get("audio_url"):
                raise APIError(f"The {name} answer has neither audio nor audio_url.",
                               status=answer.status)
            self.download(body["audio_url"], out)
        return AudioResult(out, answer.headers.get("content-type"), answer.credits_used,
                           answer.mock)

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
