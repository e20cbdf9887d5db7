"""The tally: every rule by example, and its promises as properties (hypothesis)."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.governance.rounds import Candidate, select_winners
from app.governance.tally import Rules, Voter, quorum_needed, tally

CAST = Rules(2, 3, "cast")
ALL = Rules(1, 2, "all")
TWO_THIRDS = Rules(1, 2, "two_thirds")


def committee(n: int, recused=()) -> list[Voter]:
    return [Voter(i, is_chair=i == 1, recused=i in recused) for i in range(1, n + 1)]


def votes(*choices) -> dict[int, str]:
    return {i: c for i, c in enumerate(choices, start=1) if c}


def test_the_issue_example_in_words():
    outcome = tally(Rules(2, 3, "cast"), 0, committee(7, recused={7}),
                    votes("yes", "yes", "yes", "yes", "no", "abstain"))
    assert outcome.passed and outcome.eligible == 6 and outcome.voted == 6
    assert outcome.explanation() == (
        "7 committee members, 1 recused; 6 voted: yes 4, no 1, abstain 1; quorum reached "
        "(4/6); yes votes are more than half of the votes cast, abstentions not counted "
        "→ passed")


def test_quorum_is_a_share_of_the_eligible_members():
    assert quorum_needed(6, 2, 3) == 4 and quorum_needed(7, 2, 3) == 5
    assert quorum_needed(5, 1, 2) == 3 and quorum_needed(4, 1, 2) == 2
    three_of_six = tally(CAST, 0, committee(6), votes("yes", "yes", "yes"))
    assert not three_of_six.quorum_met and not three_of_six.passed
    assert "quorum not reached" in three_of_six.explanation()


def test_abstentions_count_for_quorum_but_not_for_a_majority_of_votes_cast():
    outcome = tally(CAST, 0, committee(6), votes("yes", "no", "abstain", "abstain"))
    assert outcome.quorum_met and outcome.tie and not outcome.passed


def test_majority_of_all_eligible_members_counts_those_who_did_not_vote():
    outcome = tally(ALL, 0, committee(7), votes("yes", "yes", "yes", "no"))
    assert outcome.quorum_met and not outcome.passed  # 3 of 7 is not more than half
    assert tally(ALL, 0, committee(7), votes("yes", "yes", "yes", "yes")).passed


def test_two_thirds_uses_integers_at_the_boundary():
    assert tally(TWO_THIRDS, 0, committee(6), votes(*["yes"] * 4)).passed  # 4*3 >= 6*2
    assert not tally(TWO_THIRDS, 0, committee(7), votes(*["yes"] * 4, "no")).passed  # 12 < 14
    assert tally(TWO_THIRDS, 0, committee(9), votes(*["yes"] * 6)).passed


def test_an_amount_above_the_limit_needs_two_thirds():
    rules = Rules(1, 2, "cast", two_thirds_above_fen=5_000_000)
    ballots = votes("yes", "yes", "yes", "yes", "no", "no")
    assert tally(rules, 5_000_000, committee(6), ballots).passed  # at the limit: a majority
    above = tally(rules, 5_000_001, committee(6), ballots)
    assert above.passed and above.threshold == "two_thirds" and above.raised_by_amount
    assert not tally(rules, 6_000_000, committee(7), votes("yes", "yes", "yes", "yes", "no",
                                                            "no", "no")).passed
    assert "¥50,000.00" in above.explanation()


def test_a_tie_fails_unless_the_chairs_casting_vote_applies():
    ballots = votes("yes", "yes", "no", "no")
    assert not tally(CAST, 0, committee(4), ballots).passed
    with_casting = tally(Rules(2, 3, "cast", casting_vote=True), 0, committee(4), ballots)
    assert with_casting.passed and with_casting.casting_vote_used
    assert "casting vote" in with_casting.explanation()
    chair_against = votes("no", "yes", "yes", "no")
    assert not tally(Rules(2, 3, "cast", casting_vote=True), 0, committee(4),
                     chair_against).passed


def test_recused_members_leave_the_denominators_and_their_ballots_do_not_count():
    outcome = tally(ALL, 0, committee(5, recused={4, 5}), votes("yes", "yes", "no", "no", "no"))
    assert outcome.eligible == 3 and outcome.recused == 2 and outcome.no == 1
    assert outcome.passed


def test_ballots_from_outside_the_electorate_do_not_count():
    outcome = tally(CAST, 0, committee(3), {1: "yes", 2: "yes", 3: "no", 99: "no", 98: "no"})
    assert outcome.voted == 3 and outcome.passed


def test_nobody_eligible_never_passes():
    outcome = tally(TWO_THIRDS, 0, committee(2, recused={1, 2}), {})
    assert not outcome.passed and "no member may vote" in outcome.explanation()


def test_the_explanation_is_in_chinese_in_the_chinese_locale(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh_Hans"):
        words = tally(CAST, 0, committee(7, recused={7}),
                      votes("yes", "yes", "yes", "yes", "no", "abstain")).explanation()
    if "committee members" in words:
        pytest.skip("the zh_Hans catalogue has not merged the governance strings yet")
    assert words.startswith("7 名委员，1 名回避")


# --- properties ----------------------------------------------------------------------------

RULES = st.builds(Rules, quorum_num=st.integers(0, 3), quorum_den=st.just(3),
                  threshold=st.sampled_from(["cast", "all", "two_thirds"]),
                  two_thirds_above_fen=st.one_of(st.none(), st.integers(0, 10_000)),
                  casting_vote=st.booleans())
CHOICE = st.sampled_from(["yes", "no", "abstain", None])


@st.composite
def elections(draw):
    n = draw(st.integers(1, 11))
    recused = draw(st.sets(st.integers(1, n), max_size=n))
    choices = draw(st.lists(CHOICE, min_size=n, max_size=n))
    amount = draw(st.integers(0, 20_000))
    return draw(RULES), amount, committee(n, recused), votes(*choices)


@given(elections(), st.data())
def test_turning_a_no_into_a_yes_never_turns_a_pass_into_a_fail(election, data):
    rules, amount, voters, ballots = election
    against = [uid for uid, c in ballots.items() if c == "no"]
    if not against:
        return
    before = tally(rules, amount, voters, ballots)
    changed = {**ballots, data.draw(st.sampled_from(against)): "yes"}
    after = tally(rules, amount, voters, changed)
    assert not (before.passed and not after.passed)


@given(elections(), st.randoms())
def test_the_result_does_not_depend_on_ballot_or_member_order(election, rng):
    rules, amount, voters, ballots = election
    items = list(ballots.items())
    rng.shuffle(items)
    shuffled_voters = list(voters)
    rng.shuffle(shuffled_voters)
    assert tally(rules, amount, voters, ballots) == tally(rules, amount, shuffled_voters,
                                                           dict(items))


@given(elections(), st.data())
def test_a_recused_member_is_as_if_absent_from_the_committee(election, data):
    rules, amount, voters, ballots = election
    recused = [v for v in voters if v.recused]
    if not recused:
        return
    gone = data.draw(st.sampled_from(recused))
    with_them = tally(rules, amount, voters, ballots)
    without = tally(rules, amount, [v for v in voters if v != gone],
                    {k: c for k, c in ballots.items() if k != gone.user_id})
    assert (with_them.passed, with_them.eligible, with_them.quorum_needed, with_them.yes,
            with_them.no) == (without.passed, without.eligible, without.quorum_needed,
                              without.yes, without.no)


@given(elections())
def test_a_pass_always_meets_the_quorum_and_has_yes_votes(election):
    outcome = tally(*election)
    if outcome.passed:
        assert outcome.quorum_met and outcome.yes > 0
        assert outcome.voted * election[0].quorum_den >= outcome.eligible * election[0].quorum_num


# --- the project round -----------------------------------------------------------------------

def test_round_selects_by_approvals_then_lower_cost_then_earlier_submission():
    from datetime import datetime

    day = [datetime(2025, 1, d) for d in range(1, 6)]
    steps = select_winners([
        Candidate(1, 18000, 3, day[0]), Candidate(2, 12000, 6, day[1]),
        Candidate(3, 15000, 3, day[2]), Candidate(4, 3000, 1, day[3]),
        Candidate(5, 3000, 1, day[4])], 33000)
    assert [(s.candidate.proposal_id, s.selected, s.remaining_fen) for s in steps] == [
        (2, True, 21000), (3, True, 6000), (1, False, 6000), (4, True, 3000),
        (5, True, 0)]


@given(st.lists(st.tuples(st.integers(1, 50_000), st.integers(0, 9)), max_size=12),
       st.integers(1, 100_000))
def test_round_never_exceeds_the_cap_and_ignores_input_order(rows, cap):
    from datetime import datetime

    candidates = [Candidate(i, cost, approvals, datetime(2025, 1, 1))
                  for i, (cost, approvals) in enumerate(rows)]
    steps = select_winners(candidates, cap)
    assert sum(s.candidate.cost_fen for s in steps if s.selected) <= cap
    shuffled = list(candidates)
    random.Random(cap).shuffle(shuffled)
    assert select_winners(shuffled, cap) == steps
