"""Which models are audited. A new model opts in with one line here (or with the
``@audited(...)`` decorator on its class): see app/audit/__init__.py."""

from app.auth.models import Membership
from app.donations.models import Batch, Designation, Donation, DonationPoint
from app.donors.models import Donor
from app.funds.models import Fund, Township
from app.ledger.models import LedgerEntry
from app.receipts.models import Receipt, ReceiptSettings

from .recording import audited

# Money, in each fund's own chain.
audited(Donation, state="status", personal=("message", "notes"))
audited(Donor, personal=("name", "initials", "phone", "email", "address", "id_number", "notes"))
audited(Batch, state="status")
audited(LedgerEntry)
audited(DonationPoint)
audited(Designation)
# Receipts issued, voided (the action is "receipt.void"), delivered; how a fund issues them.
audited(Receipt, state="status", personal=("name",))
audited(ReceiptSettings)

# Shared rows, in the platform chain, labelled with the township and fund they concern.
audited(Membership)
audited(Fund, state="status", labels=lambda fund: (fund.township_id, fund.id))
audited(Township, labels=lambda township: (township.id, None))
