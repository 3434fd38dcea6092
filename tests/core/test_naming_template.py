"""The output template language every command and host shares (yt-dlp style)."""
from __future__ import annotations

import pytest

from ttsai_plugin import naming_template
from ttsai_plugin.errors import InputError

VALUES = {"stem": "talk", "ext": "wav", "dir": "/takes/day 1", "tag": "dub-es", "lang": "es",
          "preset": None, "stem_name": None, "index": 7}


def test_fields_and_format_specs_fill_in():
    t = naming_template.parse("{dir}/{index:03d}-{stem}.{lang}.{ext}")
    assert t.render(VALUES) == "/takes/day 1/007-talk.es.wav"
    assert naming_template.render("{{literal}} {stem}", {"stem": "a"}) == "{literal} a"


def test_a_value_cannot_reach_another_folder():
    """A stem holding a slash (from stdin labels or odd names) stays one file name."""
    assert naming_template.render("{stem}.{ext}", {"stem": "../x/y", "ext": "wav"}) == \
        ".._x_y.wav"


@pytest.mark.parametrize("text, says", [
    ("{stem", "malformed"),
    ("{}", "empty or odd field"),
    ("{colour}", "does not provide"),
    ("{0}", "empty or odd field"),
])
def test_bad_templates_are_refused_naming_what_is_available(text, says):
    with pytest.raises(InputError, match=says) as caught:
        naming_template.parse(text, {"stem", "ext"})
    if says == "does not provide":
        assert "{stem}, {ext}" in caught.value.hint


def test_a_field_without_a_value_here_says_which_have_one():
    t = naming_template.parse("{stem}.{preset}.{ext}")
    with pytest.raises(InputError, match=r"uses \{preset\}") as caught:
        t.render(VALUES)
    assert "{lang}" in caught.value.hint and "{preset}" not in caught.value.hint
    with pytest.raises(InputError, match="index:03d"):
        naming_template.render("{index:03d}", {"index": "x"})


def test_is_template_tells_paths_from_templates():
    assert naming_template.is_template("out/{stem}.wav")
    assert not naming_template.is_template("out/a.wav")
    assert not naming_template.is_template("odd{{name}}.wav")
