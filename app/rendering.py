"""One URL, two answers: the full page for a browser, one block of it for htmx."""

from flask import make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def wants_partial() -> bool:
    # htmx 4 says "partial" when it swaps into an element, "full" when it targets the body.
    return request.headers.get("HX-Request-Type") == "partial"


def render(template: str, block: str | None = None, *, http_status: int = 200, **context):
    # The response status has a name no view uses for data: a list's `?status=` filter once
    # reached make_response() here and became the status line (header injection, or a 500 under
    # gunicorn). make_response() takes a string as the whole status line, so only an int passes.
    if type(http_status) is not int:
        raise TypeError(f"http_status must be an int, not {type(http_status).__name__}")
    if block and wants_partial():
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    return make_response(html, http_status)


def leave_for(url: str):
    """After a form htmx posted, go to another page. fetch() would follow a redirect and swap
    the whole next page into the form's target, so htmx is told to load it (HX-Redirect); a
    plain post gets the redirect."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def list_filter(name: str, choices) -> str | None:
    """A list's filter from the query string: one of its choices, or None (no filter) for
    anything else, so a hostile value never reaches a query, a template or a header."""
    value = request.args.get(name)
    return value if value in choices else None


def render_form(template: str, form, block: str | None = None, **context):
    """Render a form page; a submitted, invalid form answers 422 (htmx swaps it in place)."""
    http_status = 422 if request.method == "POST" and form.errors else 200
    return render(template, block=block, http_status=http_status, form=form, **context)
