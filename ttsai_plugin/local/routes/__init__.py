"""The handler of each endpoint, by its name in ``ttsai_plugin.api.paths.ENDPOINTS``."""
from __future__ import annotations

from typing import Callable

from werkzeug.wrappers import Response

from .. import mock
from ..context import RequestContext
from . import audio_tools, speech

Handler = Callable[[RequestContext], Response]

HANDLERS: dict[str, Handler] = {
    "tts": speech.tts,
    "stt": speech.stt,
    "clone": mock.clone,
    "voice_convert": mock.voice_convert,
    "speech_translate": mock.speech_translate,
    "speech_to_speech": mock.speech_to_speech,
    "enhance": audio_tools.enhance,
    "dereverb": audio_tools.dereverb,
    "separate": audio_tools.separate,
    "analyze": audio_tools.analyze,
    "convert": audio_tools.convert,
    "voice_chat": mock.voice_chat,
    "models": speech.list_models,
    "voices": speech.list_voices,
    "result": speech.result,
}
