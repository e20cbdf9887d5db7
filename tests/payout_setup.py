"""A final project that takes payouts, and a payout asked for it."""

from app.clock import local_today
from app.donations import services as donations
from app.governance import proposals
from app.payouts import services
from app.payouts.models import Payout

from .helpers import person


def final_project(amount="5000", budget="材料费 3000\n人工费 2000", title="村口凉亭修缮",
                  funded=True):
    """A project through its vote and notice: final, with a designation donors can give to;
    funded: donors have given its whole budget to it."""
    data = proposals.ProposalInput(title=title, category="other", description="修凉亭",
                                   requested=amount, budget=budget)
    proposal = proposals.create(data, person("member"))
    for state in ("approved", "notice", "final"):
        proposals.transition(proposal, state, person("chair"))
    if funded:
        give(proposal, amount)
    return proposal


def give(proposal, amount="1000"):
    """A gift designated to the project, confirmed into the ledger."""
    return donations.record_offline(donations.DonationInput(
        amount=amount, channel="cash", received_on=local_today(),
        designation_id=proposal.designation_id), person("treasurer"))


def request(proposal, amount="800", **kw) -> Payout:
    line = kw.pop("budget_line_id", proposal.lines[0].id if proposal.lines else None)
    return services.request(proposal, services.PayoutInput(
        amount=amount, payee=kw.pop("payee", "东港建材商行"), payee_account="6222020000001234",
        purpose=kw.pop("purpose", "凉亭木料"), budget_line_id=line), kw.pop("user", None)
        or person("treasurer"))


def approved(proposal, amount="800") -> Payout:
    payout = request(proposal, amount)
    services.approve(payout, person("chair"))
    services.approve(payout, person("supervisor"))
    return payout


# --- two keys --------------------------------------------------------------------------------
