"""善邻 Shanlin: the application factory."""

import logging

from flask import Flask

from .config import BASE_DIR, Config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    if hops := app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    from . import urls

    urls.register(app)  # before any route is added: <int:...> ids must fit the database
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    _init_extensions(app)
    _start_queue(app)
    _register_blueprints(app)
    _register_tenancy(app)

    from . import errors, i18n, labels, security, todo
    from .auth import policy
    from .giving import links as giving_links

    labels.register(app)
    policy.register(app)
    giving_links.register(app)
    todo.register(app)
    errors.register(app)
    i18n.register(app)
    security.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    import tenants.scoping

    from . import database
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from .i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    with app.app_context():
        database.configure(db.engine)  # SQLite: foreign keys, and writers hold the lock

    tenants.scoping.install(FlaskSession, db.session)
    database.install(FlaskSession)  # on_commit()
    _import_models()
    from .audit.recording import install as install_audit  # after tenancy's hooks: it reads them

    install_audit(FlaskSession)


def _start_queue(app: Flask) -> None:
    """The jobs queue, then the tasks others put on it (receipt and other mail)."""
    from . import jobs, mail, notify
    from .receipts import delivery

    jobs.init_app(app)
    mail.init_app(app)
    delivery.init_app(app)
    notify.init_app(app)


def _import_models() -> None:
    """Every model module, so migrations and the tenancy layer see all tables."""
    from .aid import models as _aid  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .audit import subjects as _audit_subjects  # noqa: F401  (registers audited models)
    from .auth import models as _auth  # noqa: F401
    from .campaigns import models as _campaigns  # noqa: F401
    from .disclosure import models as _disclosure  # noqa: F401
    from .donations import models as _donations  # noqa: F401
    from .donors import models as _donors  # noqa: F401
    from .funds import models as _funds  # noqa: F401
    from .giving import models as _giving  # noqa: F401
    from .governance import models as _governance  # noqa: F401
    from .jobs import models as _jobs  # noqa: F401
    from .ledger import models as _ledger  # noqa: F401
    from .notify import models as _notify  # noqa: F401
    from .oversight import models as _oversight  # noqa: F401
    from .payouts import models as _payouts  # noqa: F401
    from .portal import models as _portal  # noqa: F401
    from .receipts import models as _receipts  # noqa: F401
    from .volunteers import models as _volunteers  # noqa: F401
    from .wishes import models as _wishes  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .aid.views import bp as aid_bp
    from .audit.views import bp as audit_bp
    from .auth.invitation_views import bp as invitations_bp
    from .auth.views import bp as auth_bp
    from .auth.views import township_bp as auth_township_bp
    from .backup.cli import bp as backup_cli
    from .campaigns import bp as campaigns_bp
    from .demo.cli import bp as demo_bp
    from .disclosure.views import bp as disclosure_bp
    from .donations.views import bp as donations_bp
    from .donors.views import bp as donors_bp
    from .funds.cli import bp as tenants_cli
    from .funds.views import bp as funds_bp
    from .giving.views import bp as giving_bp
    from .governance import bp as governance_bp
    from .governance.committee_views import township_bp as governance_township_bp
    from .imports.views import bp as imports_bp
    from .jobs.cli import bp as jobs_cli
    from .jobs.views import bp as jobs_bp
    from .main.views import bp as main_bp
    from .notify.views import bp as notify_bp
    from .payments.cli import bp as payments_cli
    from .payments.views import bp as payments_bp
    from .payouts.views import bp as payouts_bp
    from .portal.views import bp as portal_bp
    from .receipts.views import bp as receipts_bp
    from .volunteers import bp as volunteers_bp
    from .wishes.views import bp as wishes_bp
    from .wishes.views import township_bp as wishes_township_bp

    for bp in (main_bp, auth_bp, auth_township_bp, invitations_bp, funds_bp, donors_bp,
               donations_bp, imports_bp, payments_bp, receipts_bp, jobs_bp, governance_bp,
               governance_township_bp, audit_bp, portal_bp, payouts_bp, disclosure_bp,
               notify_bp, demo_bp, jobs_cli, tenants_cli, backup_cli, aid_bp,
               volunteers_bp, wishes_bp, wishes_township_bp, giving_bp, payments_cli,
               campaigns_bp):
        app.register_blueprint(bp)
    from .oversight.views import register as register_oversight

    register_oversight(app)  # the township workspace's pages and `flask oversight`


def _register_tenancy(app: Flask) -> None:
    from tenants import access

    from .auth.policy import fund_roles, may, may_enter_township
    from .auth.services import load_user
    from .auth.views import require_enrolment
    from .extensions import login_manager
    from .funds.services import fund_by_slug, township_by_slug

    access.init_app(app, fund_by_slug=fund_by_slug, township_by_slug=township_by_slug,
                    roles_in_fund=fund_roles, may=may, may_enter_township=may_enter_township,
                    unauthorized=login_manager.unauthorized)
    app.before_request(require_enrolment)  # after enforce(): a township may require two-step
    login_manager.user_loader(load_user)
