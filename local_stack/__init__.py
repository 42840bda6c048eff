"""The whole service on one machine, without AWS or Docker: `python -m local_stack --help`."""
