"""`make bench`: figures for the workflows and the embedded emulator (see harness/bench/run.py)."""
