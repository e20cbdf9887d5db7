"""The tenancy layer: the current fund or township, fail-closed scoping, row-level security.

See docs/architecture.md. The pieces: context (the scope), model (FundOwned, same-fund foreign
keys), scoping (the ORM listeners), access (who may enter a route; the app gives it its
look-ups with access.init_app), rls (PostgreSQL policies). It imports no feature of the app;
the ``flask tenants`` commands live in app/funds/cli.py.
"""

from .context import (
    SYSTEM,
    Scope,
    TenantRequired,
    TenantViolation,
    current_scope,
    fund_scope,
    set_scope,
    township_scope,
    using,
)

__all__ = [
    "SYSTEM",
    "Scope",
    "TenantRequired",
    "TenantViolation",
    "current_scope",
    "fund_scope",
    "set_scope",
    "township_scope",
    "using",
]
