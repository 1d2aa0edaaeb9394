"""What `make bench` serves: the app's own settings, with the lean reference's URL added
(scripts/bench_reference.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_reference"
