"""Every story of ``inside/`` as run by real Blender 4.2 LTS, 5.0 and 5.2, one test per story
and version, ``test_in_blender[<file>:<story>-<version>]``: ``-k "offline and 5.2"`` runs
``inside/test_offline.py`` in Blender 5.2 alone."""
from __future__ import annotations

import ast

import pytest

from tests.blender.conftest import INSIDE, VERSIONS


def _stories() -> list[str]:
    names = []
    for path in sorted(INSIDE.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        names += [f"{path.stem}::{n.name}" for n in tree.body
                  if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    return names


@pytest.mark.blender
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("story", _stories(), ids=lambda s: s[5:].replace("::test_", ":"))
def test_in_blender(story: str, version: str, blender_runs) -> None:
    run = blender_runs[version]
    if run.missing:
        pytest.skip(run.missing)
    results = run.results()
    if "__crash__" in results:
        pytest.fail(results["__crash__"], pytrace=False)
    outcome = results.get(story)
    if outcome is None:
        pytest.fail(f"Blender {version} did not report {story} (see {run.log_file})",
                    pytrace=False)
    if outcome["outcome"] == "skipped":
        pytest.skip(f"Blender {version}: {outcome['message']}")
    if outcome["outcome"] != "passed":
        pytest.fail(f"in Blender {version}:\n{outcome['message']}", pytrace=False)
