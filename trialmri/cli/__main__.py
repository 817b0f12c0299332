"""``python -m trialmri.cli <program>``: the same as the ``trialmri`` command."""

import sys

from trialmri.cli import main

sys.exit(main())
