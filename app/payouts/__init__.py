"""Money out of a fund: disbursement requests with two keys, their payment and reversal, and
the life of a project after it is final (progress updates, completion, acceptance)."""
