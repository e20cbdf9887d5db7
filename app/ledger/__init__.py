"""The fund's append-only money ledger and the balances derived from it."""
