"""Township oversight: every fund of a township in one table, its anomalies, the cross-fund
annual summary, and the life of a fund (create, suspend, archive, reactivate)."""
