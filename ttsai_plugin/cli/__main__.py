"""``python -m ttsai_plugin.cli``: the same as the `ttsai` command."""
import sys

from ttsai_plugin.cli import main

sys.exit(main())
