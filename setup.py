"""The one packaging rule pyproject.toml cannot state: the top-level ``presets/`` folder (the
source every host reads in a checkout) is shipped inside the package as ``ttsai_plugin/_presets``,
so wheels, sdists and editable installs all carry the presets."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["ttsai_plugin*"]) + ["ttsai_plugin._presets"])
