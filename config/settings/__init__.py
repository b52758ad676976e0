"""Settings: `base` (development defaults, read from the environment), `test` and `production`."""
