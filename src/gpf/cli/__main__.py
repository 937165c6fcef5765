"""``python -m gpf.cli ARGS``: the same as the ``gpf`` command."""

import sys

from gpf.cli.app import main

sys.exit(main())
