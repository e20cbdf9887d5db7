"""The donor portal: a donor signs in without an account and sees every receipt of theirs."""
