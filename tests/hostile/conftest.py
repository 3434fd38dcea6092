"""The hostile suite runs against the same loopback fake API and CDN as tests/api, scripted to
misbehave (see ``hostile.py``)."""
from tests.api.conftest import api, cdn, client, isolated_config, sleeps  # noqa: F401
