"""The demo: the whole commit-to-production flow on this machine (``make demo``)."""
