"""Settings views: what the syntax of each format means, in canonical keys."""
