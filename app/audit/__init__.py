"""The audit trail: every change that matters, appended to a hash-chained, append-only log.

How it works
------------
Recording is automatic. Session hooks (app/audit/recording.py) collect an entry for every
insert, update and delete of a registered model during the transaction — who, what, which
fund, when, the subject row and the columns it changed (before and after) — and write them
when the transaction commits. Nothing needs calling in a service.

Rows of a fund-owned model go to that fund's chain (``audit_entry``, fund-owned, under
row-level security); shared rows (funds, townships, memberships) and events outside any fund
(sign-ins) go to the platform chain (``platform_audit_entry``), labelled with the township
and fund they concern. Each entry stores the previous entry's hash and its own hash
(app/audit/chain.py); ``flask audit verify`` recomputes every chain.

Opting a model in (one line)
----------------------------
In app/audit/subjects.py::

    audited(Receipt, state="status", personal=("name",))

or on the class itself::

    from app.audit import audited

    @audited(state="status")
    class Motion(FundOwned, db.Model): ...

``state`` names a status column whose new value names the action of an update
("receipt.void", "motion.closed"); otherwise actions are "<table>.created/updated/deleted".
``skip`` leaves columns out; a column declared with ``info=SECRET`` (app/db_types.py: check
tokens, hashes of passwords and codes, TOTP seeds) is always left out, whatever the model
(binary columns are recorded by size). ``personal`` columns are shown on the trail only
to people who may read the fund's personal data. Bulk ORM statements (``update(Model)``)
on a registered model are recorded as one entry each, with the row count.

Events that are not row changes
-------------------------------
``record("auth.login", township_id=..., fund_id=..., platform=True)`` or, in a fund scope,
``record("donations.exported", fund_id=g.fund.id, after={"rows": n})``. Outside a request
(CLI, background jobs) ``with acting_as(user):`` names who acted; otherwise it is "system".
"""

from .recording import acting_as, audited, record

__all__ = ["acting_as", "audited", "record"]
