"""`python -m ro_core.cli`."""

import sys

from ro_core.cli.main import main

sys.exit(main())
