"""flask demo load: a fictional township with realistic funds and people."""
