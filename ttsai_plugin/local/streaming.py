"""Long uploads answered in bounded memory: spooled to disk, decoded to a float WAV, processed
block by block (``processing.blockwise``) and answered from a file that goes when it is sent.

Inputs no longer than one block take the in-memory path unchanged, so short answers are the
same bytes as before; an hour of audio never sits in memory whole, in or out.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import soundfile as sf
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from ttsai_plugin import media
from ttsai_plugin.errors import TTSAIError
from ttsai_plugin.media.audio import pcm_chunks

from . import audio, worker
from .context import STREAM_CHUNK, RequestContext
from .errors import bad_request
from .processing import blockwise

SPOOL_CHUNK = 1024 * 1024


@dataclass
class Spooled:
    """An upload on disk: its folder (removed by ``close``), the file, and its length."""

    folder: tempfile.TemporaryDirectory
    upload: Path
    seconds: float
    wav: Path | None = None
    started: float = 0.0   # monotonic time its decoding began: the server time counts from here

    @property
    def dir(self) -> Path:
        return Path(self.folder.name)

    def close(self) -> None:
        self.folder.cleanup()


def spool(ctx: RequestContext, field: str = "file") -> Spooled:
    """The upload copied to a temp folder with its duration (400 when it holds no audio)."""
    upload = ctx.params.file(field)
    folder = tempfile.TemporaryDirectory(prefix="ttsai-long-")
    try:
        suffix = Path(upload.filename or "upload").suffix[:8] or ".bin"
        path = Path(folder.name) / f"upload{suffix}"
        upload.stream.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(upload.stream, out, SPOOL_CHUNK)
        upload.stream.seek(0)
        try:
            seconds = media.duration(path)
        except TTSAIError as e:
            raise _unreadable(upload, field, e) from None
        return Spooled(folder, path, seconds)
    except BaseException:
        folder.cleanup()
        raise


def decode_to_wav(ctx: RequestContext, spooled: Spooled, field: str = "file", *,
                  pace: bool = True) -> Path:
    """The spooled upload as a float WAV (read in place when soundfile can), paced like decode
    unless ``pace`` is False: then the caller paces from ``spooled.started`` once its processing
    is done (``same_length_answer``, the separate route), so the work happens inside the server
    time the engine's knob sets, as a service's would."""
    started = spooled.started = time.monotonic()
    upload: FileStorage = ctx.params.file(field)
    info, wav = None, spooled.dir / "decoded.wav"
    if spooled.upload.suffix.lower() in (".wav", ".flac"):  # as media.decode reads them
        try:
            info, wav = sf.info(str(spooled.upload)), spooled.upload
        except Exception:  # noqa: BLE001 - not readable by soundfile: ffmpeg decides below
            pass
    try:
        if info is None:
            stream = media.probe(spooled.upload).audio_streams[0]
            rate = stream.sample_rate or 48000
            with sf.SoundFile(str(wav), "w", rate, stream.channels,
                              subtype="FLOAT") as out:
                for chunk in pcm_chunks(spooled.upload, sample_rate=rate,
                                        channels=stream.channels):
                    out.write(chunk)
            info = sf.info(str(wav))
    except (TTSAIError, IndexError) as e:
        raise _unreadable(upload, field, e) from None
    if info.frames == 0:
        raise bad_request(f"{field}: {upload.filename!r} contains no audio samples.", field=field)
    spooled.wav, spooled.seconds = wav, info.frames / info.samplerate
    if pace:
        ctx.pace(spooled.seconds, started)
    return wav


def process(spooled: Spooled, fn: blockwise.BlockFn,
            blocks: blockwise.Blocks) -> blockwise.Written:
    """``fn`` over the decoded upload, block by block, into float WAVs in its folder; parallel
    requests (a client's parts) take turns on the engine's one heavy-work thread, so memory
    stays one block's whatever the number of request threads."""
    assert spooled.wav is not None
    out_dir = spooled.dir / "out"
    out_dir.mkdir(exist_ok=True)
    return worker.run(blockwise.process, spooled.wav, out_dir, fn, blocks)


def encode(written: Path, sr: int, fmt: str, out: Path, *, gain: float = 1.0) -> Path:
    """A blockwise output scaled by ``gain`` and encoded as ``fmt`` into ``out``, file to file."""
    if fmt == "wav":
        return blockwise.finish(written, out, gain=gain)
    scaled = blockwise.finish(written, out.with_name(out.stem + ".scaled.wav"), gain=gain,
                              subtype="FLOAT")
    audio.encode_file(scaled, sr, fmt, out)
    scaled.unlink()
    return out


def file_response(ctx: RequestContext, path: Path, fmt: str,
                  on_close: Callable[[], None]) -> Response:
    """``path`` streamed as the answer, with its Content-Length; ``on_close`` runs once sent."""
    handle = open(path, "rb")
    resp = Response(wrap_file(ctx.request.environ, handle, STREAM_CHUNK * 4),
                    mimetype=audio.CONTENT_TYPES[fmt], direct_passthrough=True)
    resp.content_length = path.stat().st_size
    resp.call_on_close(handle.close)
    resp.call_on_close(on_close)
    return resp


def same_length_answer(ctx: RequestContext, spooled: Spooled, fmt: str,
                       fn: blockwise.BlockFn, blocks: blockwise.Blocks) -> Response:
    """A same-length operation over a long upload: blocks, one headroom gain, a file answer."""
    written = process(spooled, fn, blocks)
    (name, path), = written.paths.items()
    out = encode(path, written.sr, fmt, spooled.dir / f"answer.{fmt}",
                 gain=blockwise.headroom_gain(written.peaks[name]))
    path.unlink()
    ctx.pace(spooled.seconds, spooled.started)
    return file_response(ctx, out, fmt, spooled.close)


def _unreadable(upload: FileStorage, field: str, e: Exception) -> Exception:
    message = getattr(e, "message", str(e)).strip().splitlines() or ["unknown error"]
    return bad_request(f"{field}: could not read audio from {upload.filename!r} "
                       f"({message[-1][:200]}); send mp3, wav, flac, ogg, m4a, mp4 or webm.",
                       field=field)
