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
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    _register_tenancy(app)

    from . import errors, i18n, labels, security

    labels.register(app)
    errors.register(app)
    i18n.register(app)
    security.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession
    from sqlalchemy import event

    import tenants.scoping

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
        engine = db.engine
        if engine.dialect.name == "sqlite":
            # SQLite enforces foreign keys (and so the cross-fund composite keys) only when asked.
            @event.listens_for(engine, "connect")
            def _sqlite_fk(dbapi_connection, _record):
                dbapi_connection.execute("PRAGMA foreign_keys=ON")
                dbapi_connection.execute("PRAGMA busy_timeout=5000")

    tenants.scoping.install(FlaskSession, db.session)
    _import_models()


def _import_models() -> None:
    """Every model module, so migrations and the tenancy layer see all tables."""
    from .auth import models as _auth  # noqa: F401
    from .donations import models as _donations  # noqa: F401
    from .donors import models as _donors  # noqa: F401
    from .funds import models as _funds  # noqa: F401
    from .ledger import models as _ledger  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from tenants.cli import bp as tenants_cli

    from .auth.views import bp as auth_bp
    from .demo.cli import bp as demo_bp
    from .donations.views import bp as donations_bp
    from .donors.views import bp as donors_bp
    from .funds.views import bp as funds_bp
    from .imports.views import bp as imports_bp
    from .main.views import bp as main_bp
    from .payments.views import bp as payments_bp

    for bp in (main_bp, auth_bp, funds_bp, donors_bp, donations_bp, imports_bp, payments_bp,
               demo_bp, tenants_cli):
        app.register_blueprint(bp)


def _register_tenancy(app: Flask) -> None:
    from tenants import access

    from .auth.services import load_user

    app.url_value_preprocessor(access.pop_slugs)
    app.url_defaults(access.add_slugs)
    app.before_request(access.enforce)
    app.teardown_request(access.leave)
    from .extensions import login_manager

    login_manager.user_loader(load_user)
