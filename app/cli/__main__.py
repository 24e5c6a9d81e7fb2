"""``python -m app.cli ...``: the ``linflow`` command."""

import sys

from app.cli import main

sys.exit(main())
