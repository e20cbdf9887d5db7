"""What a database holds, in a few figures a treasurer can compare: ledger totals per fund,
the receipts' sha256 digest and the audit chains. Taken when a backup is made (stored in its
manifest) and again after a restore; the two must be equal."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import chain
from app.funds.models import Fund
from app.governance.models import Attachment
from app.ledger.models import LedgerEntry
from app.money import yuan
from app.payouts.models import Evidence
from app.receipts.models import Receipt, ReceiptFile


@dataclass
class Summary:
    funds: dict[str, dict] = field(default_factory=dict)  # slug -> {"entries", "total_fen"}
    receipts: int = 0
    receipts_sha256: str = ""  # sha256 over every receipt's number and stored pdf_sha256
    audit_chains: int = 0
    audit_entries: int = 0
    audit_breaks: list[str] = field(default_factory=list)

    def comparable(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def summarize(session: Session) -> Summary:
    """The figures, read in the caller's scope (system scope, or a connection that sees every
    row). Everything is read from the database, none of it from files."""
    summary = Summary()
    rows = session.execute(
        select(Fund.slug, func.count(LedgerEntry.id),
               func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
        .join(LedgerEntry, LedgerEntry.fund_id == Fund.id, isouter=True)
        .group_by(Fund.slug)
    ).all()
    summary.funds = {slug: {"entries": int(n), "total_fen": int(total)}
                     for slug, n, total in sorted(rows)}
    receipts = sorted(session.execute(select(Receipt.number, Receipt.pdf_sha256)).all())
    digest = hashlib.sha256()
    for number, sha in receipts:  # sorted here: collations differ between servers
        digest.update(f"{number} {sha}\n".encode())
    summary.receipts, summary.receipts_sha256 = len(receipts), digest.hexdigest()
    report = chain.verify(session)
    summary.audit_chains, summary.audit_entries = report.chains, report.entries
    summary.audit_breaks = [str(b) for b in report.breaks]
    return summary


@dataclass
class FileCheck:
    """After a restore: do the stored bytes still say what the rows say?"""

    receipt_files: int = 0
    receipt_files_wrong: list[str] = field(default_factory=list)  # receipt numbers
    uploads: int = 0
    uploads_missing: list[str] = field(default_factory=list)  # paths


def check_files(session: Session, var_dir: Path) -> FileCheck:
    """Hash every original receipt PDF against its receipt's pdf_sha256, and look for the file
    of every governance attachment and payout evidence under var_dir."""
    result = FileCheck()
    pdfs = session.execute(
        select(Receipt.number, Receipt.pdf_sha256, ReceiptFile.data)
        .join(ReceiptFile, (ReceiptFile.fund_id == Receipt.fund_id)
              & (ReceiptFile.receipt_id == Receipt.id) & (ReceiptFile.variant == "original"))
        .execution_options(yield_per=200))
    for number, sha, data in pdfs:
        result.receipt_files += 1
        if hashlib.sha256(data).hexdigest() != sha:
            result.receipt_files_wrong.append(number)
    for model, folder in ((Attachment, "governance"), (Evidence, "payouts")):
        for fund_id, name in session.execute(select(model.fund_id, model.stored_name)):
            result.uploads += 1
            path = var_dir / folder / str(fund_id) / name
            if not path.is_file():
                result.uploads_missing.append(str(path))
    return result


def describe(summary: Summary) -> list[str]:
    """The summary as lines for the terminal."""
    lines = ["Ledger totals per fund:"]
    for slug, fund in summary.funds.items():
        lines.append(f"  {slug:<20} {fund['entries']:>7} entries  "
                     f"¥{yuan(fund['total_fen']):>15}")
    lines.append(f"Receipts: {summary.receipts}, sha256 of their PDFs' sums: "
                 f"{summary.receipts_sha256}")
    state = "verifies" if not summary.audit_breaks else f"BROKEN ({len(summary.audit_breaks)})"
    lines.append(f"Audit: {summary.audit_chains} chains, {summary.audit_entries} entries, "
                 f"the chain {state}")
    lines.extend(f"  BROKEN {b}" for b in summary.audit_breaks)
    return lines
