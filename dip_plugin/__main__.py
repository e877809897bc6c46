"""``python -m dip_plugin`` is the ``dip`` command."""

import sys

from .cli import main

sys.exit(main())
