"""Language and time zone: Chinese first, English second, the choice remembered."""

from flask import Flask, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"


# One way to write a day per language on every page (2026年12月6日, 6 Dec 2026), in the funds'
# time zone; a moment adds the clock. Files for machines (exports, CSV) keep ISO dates.
DAY = {"zh": "y年M月d日", "en": "d MMM y"}
MONTH = {"zh": "y年M月", "en": "MMM y"}


def _language() -> str:
    return "zh" if get_locale().language == "zh" else "en"


def show_date(value, document_format: str | None = None) -> str:
    """The page's way; a printed document may name one of Babel's (receipts print "long")."""
    if not value:
        return ""
    return format_date(value, document_format or DAY[_language()])


def show_datetime(value, document_format: str | None = None) -> str:
    if not value:
        return ""
    return format_datetime(value, document_format or DAY[_language()] + " HH:mm")


def show_month(value) -> str:
    return format_date(value, MONTH[_language()]) if value else ""


def translations():
    """What flask_babel.get_translations() answers, looked up once a request and language.

    A page asks at every _() of its templates, ~150 times, and flask-babel's lookup reads
    flask.g nine times over (~20 µs each time: a sixth of a page's time on SQLite). The kept
    answer serves while flask-babel's locale object for the request is the same one: its
    force_locale() (a receipt in the donor's language) and refresh() put another in its place.
    Were flask-babel to keep its locale elsewhere one day, this would ask it every time."""
    if not g:
        return get_translations()
    request_g = g._get_current_object()
    locale = getattr(getattr(request_g, "_flask_babel", None), "babel_locale", None)
    kept = getattr(request_g, "_shanlin_translations", None)
    if locale is None or kept is None or kept[0] is not locale:
        kept = request_g._shanlin_translations = (get_locale(), get_translations())
    return kept[1]


def register(app: Flask) -> None:
    # After flask-babel's own (create_app initialises it first): the same callables, through
    # translations() above.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["datetime"] = show_datetime
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["month"] = show_month

    @app.context_processor
    def _locale():
        locale = get_locale()
        return {"html_lang": "zh-CN" if locale.language == "zh" else locale.language}
