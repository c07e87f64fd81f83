"""`python -m harness.bench`: runs `make bench` (harness/bench/run.py)."""

import sys

from harness.bench.run import main

sys.exit(main())
