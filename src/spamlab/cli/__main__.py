"""``python -m spamlab.cli``: the ``spamlab`` command without the console script."""

import sys

from spamlab.cli import main

sys.exit(main())
