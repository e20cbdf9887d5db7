"""The one function that decides a motion: quorum, threshold, ties, recusals; integers only.

``tally()`` is pure: the rules, the amount, the frozen electorate and the ballots in, the
outcome out, with its explanation in words in the current language.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from app.money import yuan


@dataclass(frozen=True)
class Rules:
    quorum_num: int  # at least quorum_num/quorum_den of the eligible members must vote
    quorum_den: int
    threshold: str  # "cast" | "all" | "two_thirds"
    two_thirds_above_fen: int | None = None  # above this amount two thirds are required
    casting_vote: bool = False  # the chair's vote decides a tie


@dataclass(frozen=True)
class Voter:
    user_id: int
    is_chair: bool = False
    recused: bool = False


@dataclass(frozen=True)
class Outcome:
    passed: bool
    members: int  # the frozen electorate
    recused: int
    eligible: int  # members - recused: the denominators
    voted: int  # ballots of eligible members, abstentions included
    yes: int
    no: int
    abstain: int
    quorum_needed: int
    quorum_met: bool
    threshold: str  # the rule applied (two thirds when the amount requires it)
    raised_by_amount: bool
    tie: bool
    casting_vote_used: bool
    amount_limit_fen: int | None = None

    def explanation(self) -> str:
        """E.g. 7 名委员，1 名回避；6 人投票：同意 4、反对 1、弃权 1；达到法定人数（4/6）；..."""
        members = _("%(members)d committee members, %(recused)d recused",
                    members=self.members, recused=self.recused)
        votes = _("%(voted)d voted: yes %(yes)d, no %(no)d, abstain %(abstain)d",
                  voted=self.voted, yes=self.yes, no=self.no, abstain=self.abstain)
        if self.eligible == 0:
            quorum = _("no member may vote")
        elif self.quorum_met:
            quorum = _("quorum reached (%(needed)d/%(eligible)d)",
                       needed=self.quorum_needed, eligible=self.eligible)
        else:
            quorum = _("quorum not reached (%(needed)d/%(eligible)d needed)",
                       needed=self.quorum_needed, eligible=self.eligible)
        rule = self._rule_words()
        result = _("passed") if self.passed else _("not passed")
        return _("%(members)s; %(votes)s; %(quorum)s; %(rule)s → %(result)s",
                 members=members, votes=votes, quorum=quorum, rule=rule, result=result)

    def _rule_words(self) -> str:
        if not self.quorum_met:
            return _("the vote does not count")
        if self.tie:
            if self.casting_vote_used:
                return _("a tie, decided for the motion by the chair's casting vote")
            return _("a tie, which does not pass")
        words = {
            ("cast", True): _("yes votes are more than half of the votes cast, "
                              "abstentions not counted"),
            ("cast", False): _("yes votes are not more than half of the votes cast, "
                               "abstentions not counted"),
            ("all", True): _("yes votes are more than half of all eligible members"),
            ("all", False): _("yes votes are not more than half of all eligible members"),
            ("two_thirds", True): _("yes votes reach two thirds of all eligible members"),
            ("two_thirds", False): _("yes votes do not reach two thirds of all eligible "
                                     "members"),
        }[(self.threshold, self.passed)]
        if self.raised_by_amount:
            words = _("the amount is above ¥%(limit)s, so two thirds are needed: %(words)s",
                      limit=yuan(self.amount_limit_fen or 0), words=words)
        return words


def quorum_needed(eligible: int, num: int, den: int) -> int:
    """The fewest voters that make a quorum: ceil(eligible * num / den), in integers."""
    return (eligible * num + den - 1) // den


def tally(rules: Rules, amount_fen: int, voters: Iterable[Voter],
          ballots: Mapping[int, str]) -> Outcome:
    """Decide a motion. Ballots of people outside the electorate, or recused, do not count."""
    voters = list(voters)
    counted = {v.user_id for v in voters if not v.recused}
    chairs = {v.user_id for v in voters if v.is_chair and not v.recused}
    choices = [c for uid, c in ballots.items() if uid in counted]
    yes, no, abstain = (choices.count(c) for c in ("yes", "no", "abstain"))
    eligible = len(counted)
    voted = yes + no + abstain
    needed = quorum_needed(eligible, rules.quorum_num, rules.quorum_den)
    quorum_met = eligible > 0 and voted * rules.quorum_den >= eligible * rules.quorum_num

    limit = rules.two_thirds_above_fen
    raised = limit is not None and amount_fen > limit and rules.threshold != "two_thirds"
    threshold = "two_thirds" if raised else rules.threshold
    if threshold == "cast":
        passes, tie = yes * 2 > yes + no, yes == no and yes > 0
    elif threshold == "all":
        passes, tie = yes * 2 > eligible, yes * 2 == eligible and yes > 0
    else:  # two thirds of the eligible members; no tie to break
        passes, tie = yes * 3 >= eligible * 2, False
    casting = tie and rules.casting_vote and any(ballots.get(c) == "yes" for c in chairs)
    passed = quorum_met and (passes or casting)
    return Outcome(
        passed=passed, members=len(voters), recused=len(voters) - eligible, eligible=eligible,
        voted=voted, yes=yes, no=no, abstain=abstain, quorum_needed=needed,
        quorum_met=quorum_met, threshold=threshold, raised_by_amount=raised,
        tie=tie and not passes, casting_vote_used=bool(casting and quorum_met),
        amount_limit_fen=limit,
    )
