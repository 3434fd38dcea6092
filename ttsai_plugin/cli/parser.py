"""Every option of `ttsai` in one place, grouped by concern (input, output, batch, the
command's own settings, display, connection), each with its help text."""
from __future__ import annotations

import argparse

from ttsai_plugin.cli.display import EXIT_USAGE

DESCRIPTION = ("TTS.ai speech tools for files: narrate, dub, clean up, split stems, transcribe. "
               "With no API key configured everything runs on the built-in local engine.")
EPILOG = ("Inputs: files, globs ('*.wav') and folders (-r to recurse); '-' reads stdin. "
          "Outputs: -o FILE, -o DIR/, -o '{stem}.clean.{ext}' (fields: {stem} {ext} {dir} {tag} "
          "{lang} {preset} {stem_name} {index}), or -o - for stdout; without -o, results go "
          "beside each input. Exit codes: 0 done, 1 API/processing error or a failed file, "
          "2 bad input, 3 key/configuration, 130 cancelled, 141 output pipe closed.")
FILE_COMMANDS = ("dub", "enhance", "dereverb", "stems", "transcribe", "convert", "analyze")


class Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code (2) and a one-line error (JSON with --json)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from ttsai_plugin.cli.display import usage_error
        usage_error(self, message)
        raise SystemExit(EXIT_USAGE)


def _common(p: argparse.ArgumentParser) -> None:
    """Display and connection options, last in every command's help."""
    g = p.add_argument_group("display")
    g.add_argument("--json", action="store_true",
                   help="print results and errors as JSON on stdout (errors: code, message, hint)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    g.add_argument("-v", "--verbose", action="count", default=0,
                   help="more detail: -v every step, -vv also requests and retries")
    g.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    g = p.add_argument_group("connection")
    g.add_argument("--api-key", metavar="KEY",
                   help="API key (else TTSAI_API_KEY, else the config file; none = local engine)")
    g.add_argument("--base-url", metavar="URL", help="API base URL (else TTSAI_BASE_URL)")
    g.add_argument("--plan", choices=("pro", "enterprise"),
                   help="your plan, which sets the request limits (default pro)")
    g.add_argument("--no-cache", action="store_true",
                   help="always ask the service again instead of reusing an identical result")


def _inputs(p: argparse.ArgumentParser, *, what: str = "audio or video files") -> None:
    g = p.add_argument_group("input")
    g.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=f"{what}, globs or folders; '-' reads stdin")
    g.add_argument("-r", "--recursive", action="store_true",
                   help="also take the media in the folders' subfolders")
    _range(g)


def _range(g: argparse._ActionsContainer) -> None:
    g.add_argument("--start", "--in", dest="start", type=float, default=0.0, metavar="S",
                   help="use each input from this second on")
    g.add_argument("--end", dest="end", type=float, default=None, metavar="S",
                   help="use each input up to this second")
    g.add_argument("--stream", type=int, default=0, metavar="N",
                   help="which audio track of the input (from 0)")


def _outputs(p: argparse.ArgumentParser, what: str, formats: str) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-o", "--output", metavar="PATH",
                   help=f"{what}: a file, a folder ending in '/', a template such as "
                        "'{stem}.clean.{ext}', or '-' for stdout (default: beside each input)")
    g.add_argument("--format", metavar="EXT",
                   help=f"output format when the name has no suffix ({formats})")
    g.add_argument("-y", "--overwrite", dest="overwrite", action="store_const", const="yes",
                   help="overwrite existing outputs")
    g.add_argument("-n", "--no-overwrite", dest="overwrite", action="store_const", const="no",
                   help="never overwrite: skip inputs whose output exists")
    g = p.add_argument_group("batch")
    g.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="requests at once (default and maximum: the plan's concurrency); the "
                        "next files are prepared meanwhile")
    g.add_argument("--estimate", action="store_true",
                   help="total the credits of the whole batch, run nothing")


AUDIO_FORMATS = "wav, flac, mp3, ogg, opus, m4a; mp4, mkv, mov keep the input's picture"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ttsai", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_,
                              epilog=EPILOG if name in FILE_COMMANDS + ("narrate",) else None)

    p = add("narrate", "Speak text (any length) into an audio file.")
    g = p.add_argument_group("input")
    g.add_argument("text", nargs="?", help="the text to speak ('-' reads stdin), or use --file")
    g.add_argument("--file", "-f", metavar="TXT", nargs="+",
                   help="read the text from files, globs or folders of .txt ('-' = stdin); "
                        "one narration each")
    g.add_argument("-r", "--recursive", action="store_true",
                   help="also take the .txt files in the folders' subfolders")
    _outputs(p, "audio to write", AUDIO_FORMATS.split(";")[0])
    g = p.add_argument_group("narration")
    g.add_argument("--voice", default="af_bella", help="voice id (see `ttsai voices`)")
    g.add_argument("--model", default="kokoro", help="TTS model (see `ttsai models`)")
    g.add_argument("--language", metavar="LANG", help="language code of the text, e.g. en")
    g.add_argument("--speed", type=float, default=1.0, help="speaking rate, 1.0 = normal")
    g.add_argument("--reference", metavar="AUDIO", help="clone the voice in this recording")
    g.add_argument("--preset", help="a preset that starts with narration (e.g. youtube-narration)")

    p = add("dub", "Dub speech into another language.")
    _inputs(p)
    _outputs(p, "audio, or a video (picture copied, audio replaced)", AUDIO_FORMATS)
    g = p.add_argument_group("dubbing")
    g.add_argument("--to", dest="target_language", metavar="LANG",
                   help="target language code, e.g. es (required unless --preset)")
    g.add_argument("--preset", help="a dubbing preset (e.g. dub-spanish)")
    g.add_argument("--voice", help="voice id for the dub (see `ttsai voices`)")
    g.add_argument("--preserve-voice", action="store_true", help="keep the speaker's own voice")
    g.add_argument("--no-fit", dest="fit_duration", action="store_false",
                   help="keep the dub's natural length instead of fitting the original's")
    g.add_argument("--subtitles", action="store_true", help="also write .srt/.vtt beside the output")
    g.add_argument("--timing", choices=("sentence", "clip"),
                   help="fit the dub per sentence or over the whole clip")
    g.add_argument("--keep-background", action=argparse.BooleanOptionalAction, default=None,
                   help="keep music and effects under the dub (default: automatic)")
    g.add_argument("--stems-out", metavar="DIR",
                   help="also save the separated stems here: a folder (subfolders kept as "
                        "with -o DIR/) or a template, e.g. 'stems/{index}-{stem}'")

    p = add("enhance", "Remove noise and improve clarity.")
    _inputs(p)
    _outputs(p, "audio, or a video (picture copied)", AUDIO_FORMATS)
    g = p.add_argument_group("enhancement")
    g.add_argument("--preset", help="run a preset instead (e.g. stream-mic-cleanup)")
    g.add_argument("--strength", type=int, choices=(1, 2, 3), default=2,
                   help="how hard to clean: 1 gentle, 3 strong")
    g.add_argument("--no-denoise", dest="denoise", action="store_false", help="skip noise removal")
    g.add_argument("--no-clarity", dest="enhance_clarity", action="store_false",
                   help="skip the clarity boost")
    g.add_argument("--super-resolution", action="store_true", help="restore lost high frequencies")

    p = add("dereverb", "Remove echo and room reverb.")
    _inputs(p)
    _outputs(p, "audio, or a video (picture copied)", AUDIO_FORMATS)
    g = p.add_argument_group("de-reverb")
    g.add_argument("--preset", help="run a preset instead (e.g. podcast-voice)")
    g.add_argument("--type", choices=("echo", "reverb", "both"), default="both",
                   help="what to remove")
    g.add_argument("--intensity", type=int, choices=range(1, 6), default=3, metavar="1-5",
                   help="how hard to remove it")

    p = add("stems", "Split music into stems (vocals, accompaniment, drums …).")
    _inputs(p)
    _outputs(p, "the folder for the stems (one input), or a template with {stem_name}",
             "wav, flac, mp3 …")
    g = p.add_argument_group("separation")
    g.add_argument("--stems", type=int, choices=(2, 4, 5, 6), default=2, help="how many stems")
    g.add_argument("--model", default="demucs", help="separation model")
    g.add_argument("--preset", help="a stems preset (e.g. music-stems-4)")

    p = add("transcribe", "Speech to text, with SRT/WebVTT subtitles.")
    _inputs(p)
    _outputs(p, "transcript: .srt, .vtt, .txt or .json", "srt, vtt, txt, json; "
             "several with commas, e.g. srt,vtt; default srt")
    g = p.add_argument_group("transcription")
    g.add_argument("--srt", metavar="FILE", help="also write SubRip subtitles here (one input)")
    g.add_argument("--vtt", metavar="FILE", help="also write WebVTT subtitles here (one input)")
    g.add_argument("--language", metavar="LANG", help="spoken language, e.g. en (default: detect)")

    p = add("convert", "Change the voice of speech (or, without --voice, the file format).")
    _inputs(p)
    _outputs(p, "audio, or a video (picture copied)", AUDIO_FORMATS)
    g = p.add_argument_group("conversion")
    g.add_argument("--voice", help="target voice id (see `ttsai voices`)")
    g.add_argument("--emotion", choices=("neutral", "happy", "sad", "aggressive", "excited"),
                   help="re-speak with this emotion (speech to speech)")
    g.add_argument("--preset", help="run a preset instead")

    p = add("analyze", "Key, scale, BPM and time signature of music (free).")
    _inputs(p)
    g = p.add_argument_group("batch")
    g.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="files analysed at once (default and maximum: the plan's concurrency)")

    p = add("voices", "List voices.")
    g = p.add_argument_group("filters")
    g.add_argument("--model", help="only this model's voices")
    g.add_argument("--language", metavar="LANG", help="only voices of this language, e.g. es")
    g.add_argument("--gender", choices=("male", "female", "neutral"), help="only this gender")

    add("models", "List models and their prices.")

    p = add("estimate", "Credits a job would cost, before running it.")
    g = p.add_argument_group("what to estimate")
    g.add_argument("operation", help="narrate, dub, enhance, dereverb, stems, transcribe, "
                                     "convert, restyle, analyze, or a preset's name (see `ttsai presets`)")
    g.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="the audio/video files, globs or folders (file operations)")
    g.add_argument("-r", "--recursive", action="store_true", help="recurse into subfolders")
    _range(g)
    g.add_argument("--text", help="the text narrate would speak")
    g.add_argument("--file", "-f", metavar="TXT", help="read that text from a file ('-' = stdin)")
    g.add_argument("--model", default="kokoro", help="TTS model for narrate")
    g.add_argument("--reference", metavar="AUDIO", help="voice reference for cloned narration")

    p = add("presets", "List presets, or show one.")
    p.add_argument("name", nargs="?", help="the preset to show")

    add("config", "Show the effective settings and where each came from; with --api-key, "
                  "--base-url or --plan, save them (config file, mode 0600).")

    p = add("completion", "Print the shell completion script for bash, zsh or fish.")
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="your shell")
    p.epilog = ('bash: eval "$(ttsai completion bash)" in ~/.bashrc; zsh: the same in ~/.zshrc; '
                "fish: ttsai completion fish > ~/.config/fish/completions/ttsai.fish")

    for command in sub.choices.values():
        _common(command)
        for action in command._actions:
            if "--preset" in action.option_strings or action.dest == "name":
                action.completer = preset_names  # type: ignore[attr-defined]
            elif action.dest == "operation":
                action.completer = operations  # type: ignore[attr-defined]
    sub.add_parser("serve", help="Run the local engine on loopback (see `ttsai serve -h`).",
                   add_help=False).add_argument("args", nargs=argparse.REMAINDER,
                                                help="the local engine's options")
    return parser


def preset_names(**_: object) -> list[str]:
    """Shell completion of --preset: the presets this user has (shipped and their own)."""
    try:
        from ttsai_plugin.presets import load_presets
        return sorted(load_presets())
    except Exception:  # noqa: BLE001 - a broken preset file must not break the shell
        return []


def operations(**kwargs: object) -> list[str]:
    """Shell completion of `ttsai estimate OPERATION`: the operations, then the presets."""
    ops = ["narrate", "dub", "enhance", "dereverb", "stems", "transcribe", "convert",
           "restyle", "analyze"]
    return ops + preset_names(**kwargs)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("ttsai-plugin")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "dev"


def estimate_as_command(argv: list[str]) -> list[str]:
    """`ttsai estimate dub DIR --to es` is `ttsai dub DIR --to es --estimate`: the same
    arguments as the command itself (text-only flags keep the estimate command's own form)."""
    if len(argv) < 3 or argv[0] != "estimate" or argv[1] not in FILE_COMMANDS[:-1]:
        return argv
    rest = argv[2:]
    if any(a in ("--text", "--file", "-f", "--reference") for a in rest) or \
            all(a.startswith("-") and a != "-" for a in rest):
        return argv
    return [argv[1], *rest, "--estimate"]


def wants_json(argv: list[str]) -> bool:
    """--json anywhere before a bare '--': errors before parsing still come out as JSON."""
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
