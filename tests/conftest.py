"""Settings for the whole suite: hypothesis draws the same examples on every run.

A property that fails once fails every time, on every machine, and CI never turns red on a
draw no one can repeat. Explore new draws on purpose with ``--hypothesis-profile default``.
"""

from hypothesis import settings

settings.register_profile("derandomized", derandomize=True, print_blob=True)
settings.load_profile("derandomized")
