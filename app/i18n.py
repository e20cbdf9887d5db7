"""Language and time zone: Chinese first, English second, the choice remembered."""

from flask import Flask, has_request_context, request
from flask_babel import format_date, format_datetime
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
    from flask_babel import get_locale

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


def register(app: Flask) -> None:
    from flask_babel import get_locale

    app.jinja_env.filters["datetime"] = show_datetime
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["month"] = show_month

    @app.context_processor
    def _locale():
        locale = get_locale()
        return {"html_lang": "zh-CN" if locale.language == "zh" else locale.language}
