"""Session-state keys shared by the frame (``app.py``) and the pages.

Kept free of imports so the frame can read them before anything heavy is loaded.
"""

IN_FRAME = "_in_frame"  # the page was reached through the app's frame
OPENED = "_opened"  # the session has drawn a page with its data once
RUN_KEY = "_run_source_key"  # (source, its source_key) fingerprinted once in this run
