"""Words shown for roles and statuses, through the translation catalogue."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "platform_admin": _l("Platform administrator"),
    "township_admin": _l("Township administrator"),
    "chair": _l("Chair"),
    "member": _l("Committee member"),
    "supervisor": _l("Supervisor"),
    "secretary": _l("Secretary"),
    "treasurer": _l("Treasurer"),
    "social_worker": _l("Social worker"),
}

FUND_STATUS_LABELS = {
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "archived": _l("Archived"),
}

FUND_KIND_LABELS = {
    "village": _l("Village"),
    "community": _l("Residential community"),
    "township": _l("Township"),
}


def register(app) -> None:
    app.jinja_env.globals.update(
        role_label=lambda role: ROLE_LABELS.get(role, role),
        fund_status_label=lambda status: FUND_STATUS_LABELS.get(status, status),
        fund_kind_label=lambda kind: FUND_KIND_LABELS.get(kind, kind),
    )
