"""The local stack's own errors: each message is one line that names the problem."""


class StartupError(Exception):
    """Something the local stack needs is missing or failed to start."""
