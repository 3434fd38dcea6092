"""``python -m ttsai_plugin.cli``: the same as the `ttsai` command."""
try:
    import sys

    from ttsai_plugin.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python loads the package
    import os
    os.write(2, b"ttsai: cancelled\n")
    os._exit(130)

sys.exit(main())
