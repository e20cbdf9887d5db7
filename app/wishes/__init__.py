"""微心愿 (small wishes): collected, screened, claimed on the public wall, fulfilled."""
