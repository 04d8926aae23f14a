"""`python -m nianbao` runs the same command as `nianbao`."""

import sys

from nianbao.cli import main

sys.exit(main())
