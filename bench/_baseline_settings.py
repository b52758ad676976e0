"""Settings of the API-submission benchmark's server (bench/cases_api_submit.py): the platform's
own settings, with the bench's URL map (the platform's URLs plus one bare view) and no rate limit
on the Open311 key. Never used outside the benchmark."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench._baseline_urls"
DEBUG = False
# The benchmark sends thousands of requests a minute through one key.
OPEN311_RATE_PER_MINUTE = 10**9
