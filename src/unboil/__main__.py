"""``python -m unboil`` runs the command line."""

import sys

from unboil.cli import main

sys.exit(main())
