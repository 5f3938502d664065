"""``python -m linkage``."""

from linkage.cli import main

main()
