"""Words shown for codes (roles, statuses, channels), through the translation catalogue: the
jinja global label("channel", code)."""

from app.auth.roles import Role
from app.disclosure.models import ReportKind
from app.donations.models import BatchStatus, Channel, DonationStatus, EventOutcome
from app.donors.models import Anonymity, DonorKind
from app.funds.models import FundKind, FundStatus
from app.giving.models import CodeKind
from app.governance.models import ProposalStatus
from app.jobs.models import JobStatus
from app.ledger.models import EntryKind
from app.notify.models import NoticeChannel, NoticeStatus
from app.payouts.models import Decision, PayoutStatus
from app.receipts.models import Delivery, ReceiptKind, ReceiptStatus

# Each code set is an enum that carries its words (app/codes.py); templates name it here.
_TABLES = {
    "role": Role,
    "fund_status": FundStatus,
    "fund_kind": FundKind,
    "channel": Channel,
    "donation_status": DonationStatus,
    "batch_status": BatchStatus,
    "anonymity": Anonymity,
    "donor_kind": DonorKind,
    "ledger_kind": EntryKind,
    "receipt_status": ReceiptStatus,
    "receipt_kind": ReceiptKind,
    "delivery": Delivery,
    "payout_status": PayoutStatus,
    "decision": Decision,
    "report_kind": ReportKind,
    "job_status": JobStatus,
    "proposal_status": ProposalStatus,
    "notice_status": NoticeStatus,
    "notice_channel": NoticeChannel,
    "code_kind": CodeKind,
    "event_outcome": EventOutcome,
}


def label(table: str, code: str | None) -> str:
    """label("channel", "cash") -> 现金 (in the current language)."""
    return _TABLES[table].label_of(code)


def codes(table: str) -> tuple[str, ...]:
    """A list filter's choices in a template: {% for code in codes("channel") %}."""
    return _TABLES[table].values()


def filesize(size: int) -> str:
    """12345678 -> "12.3 MB": units read the same in Chinese (Jinja's own says "Bytes")."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if round(size / scale, 1) >= 1:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def register(app) -> None:
    from .money import yuan

    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["codes"] = codes
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["filesize"] = filesize
