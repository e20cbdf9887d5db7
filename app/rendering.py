"""One URL, two answers: the full page for a browser, one block of it for htmx."""

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_partial() -> bool:
    # htmx 4 says "partial" when it swaps into an element, "full" when it targets the body.
    return request.headers.get("HX-Request-Type") == "partial"


def render(template: str, block: str | None = None, status: int = 200, **context):
    if block and wants_partial():
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    return make_response(html, status)


def render_form(template: str, form, block: str | None = None, **context):
    """Render a form page; a submitted, invalid form answers 422 (htmx swaps it in place)."""
    status = 422 if request.method == "POST" and form.errors else 200
    return render(template, block=block, status=status, form=form, **context)
