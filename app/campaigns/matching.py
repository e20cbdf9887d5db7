"""The matching rule, pure: how much match a gift gets, and how much of it a refund gives back.

Integer fen throughout. The services call these under the pledge's row lock with the amounts
already used; tests/test_campaign_matching.py drives them with random gift sequences.
"""

from dataclasses import dataclass

from .models import Limit


@dataclass(frozen=True)
class Terms:
    ratio_num: int
    ratio_den: int
    cap_fen: int
    per_gift_fen: int | None = None
    per_donor_day_fen: int | None = None


@dataclass(frozen=True)
class Match:
    wanted_fen: int  # what the ratio promises for the gift
    matched_fen: int
    limited_by: str  # a Limit


def wanted(terms: Terms, gift_fen: int) -> int:
    return gift_fen * terms.ratio_num // terms.ratio_den


def match(terms: Terms, gift_fen: int, used_fen: int, donor_day_fen: int | None) -> Match:
    """The match of a gift, given what the pledge has used so far and what this donor's gifts
    of the day were matched already (None: an anonymous gift, known to no daily limit).
    The smallest limit wins and is named; a nearly used cap gives what is left of it."""
    want = wanted(terms, gift_fen)
    limits = [(want, Limit.NONE)]
    if terms.per_gift_fen is not None:
        limits.append((terms.per_gift_fen, Limit.PER_GIFT))
    if terms.per_donor_day_fen is not None and donor_day_fen is not None:
        limits.append((terms.per_donor_day_fen - donor_day_fen, Limit.PER_DONOR_DAY))
    limits.append((terms.cap_fen - used_fen, Limit.CAP))
    amount, limit = min(limits, key=lambda pair: pair[0])  # the first of equals: NONE first
    return Match(want, max(0, amount), limit)


def kept_after_refund(terms: Terms, matched_fen: int, net_gift_fen: int) -> int:
    """The match a gift keeps once part of it went back to the donor: what it had, but never
    more than the ratio of what is left of the gift. A full refund keeps nothing."""
    return max(0, min(matched_fen, wanted(terms, net_gift_fen)))
