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


def register(app: Flask) -> None:
    from flask_babel import get_locale

    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )

    @app.context_processor
    def _locale():
        locale = get_locale()
        return {"html_lang": "zh-CN" if locale.language == "zh" else locale.language}
