"""``python -m app [--host H] [--port P] [--debug]``: start the app."""

import sys

from app.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
