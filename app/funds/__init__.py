"""Townships and funds: the fund workspace, its public page, the township workspace."""
