"""Groups of codes written beside their enum: each holds members of its set, and those that
must cover a set (a button's verbs, a list's tabs) cover all of it."""

import pytest

from app.donations.models import COUNTED, DonationStatus
from app.governance import proposals
from app.governance.labels import FORWARD, MOVE
from app.governance.models import UNDER_WAY, ProposalStatus
from app.payouts import progress
from app.payouts.models import (
    ENDED_STATES,
    OPEN_STATES,
    PAID_OUT,
    SPENDING_STATES,
    PayoutStatus,
)
from app.wishes.models import LISTED, PUBLISHED, WishStatus


@pytest.mark.parametrize(("group", "code"), [
    (COUNTED, DonationStatus),
    (UNDER_WAY, ProposalStatus), (proposals.OPEN_FOR_COMMENTS, ProposalStatus),
    (proposals.ENDED, ProposalStatus), (FORWARD, ProposalStatus),
    (progress.UPDATABLE, ProposalStatus), (progress.ACCEPTABLE, ProposalStatus),
    (progress.SHOWS_ACCEPTANCE, ProposalStatus),
    (OPEN_STATES, PayoutStatus), (ENDED_STATES, PayoutStatus), (SPENDING_STATES, PayoutStatus),
    (PAID_OUT, PayoutStatus),
    (PUBLISHED, WishStatus), (LISTED, WishStatus),
])
def test_a_group_of_codes_holds_members_of_its_set(group, code):
    assert group and all(type(member) is code for member in group)


def test_every_button_move_has_its_verb():
    assert set(MOVE) == proposals.MANUAL
    assert set(FORWARD) <= proposals.MANUAL


def test_a_payout_is_spending_or_ended_never_both():
    assert set(SPENDING_STATES) | set(ENDED_STATES) == set(PayoutStatus)
    assert not set(SPENDING_STATES) & set(ENDED_STATES)


def test_the_wish_list_has_a_tab_for_every_status():
    assert sorted(LISTED) == sorted(WishStatus) and len(LISTED) == len(WishStatus)


def test_proposals_end_where_no_move_leads_on():
    assert set(proposals.ENDED) == {ProposalStatus.WITHDRAWN, ProposalStatus.CLOSED}
