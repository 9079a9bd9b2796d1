"""Entry point for `python -m localkafka`."""

import sys

from localkafka.cli import main

sys.exit(main())
