"""Command line: parse options, call the pipeline, map user errors to exit codes.

``base`` holds the group, the shared options and the error handling; ``run`` the pipeline's
command, ``tools`` data preparation, ``analysis`` the commands that read a finished run.
Importing the package registers every command on ``main``.
"""

from linkage.cli import analysis, run, tools  # noqa: F401  (registers the commands)
from linkage.cli.base import main

__all__ = ["main"]
