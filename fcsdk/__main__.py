"""``python -m fcsdk``: the fcsdk command line."""

import sys

from fcsdk.cli import main

sys.exit(main())
