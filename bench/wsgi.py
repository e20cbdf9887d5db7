"""gunicorn bench.wsgi:app — the app exactly as wsgi.py makes it from the environment, plus
the plain 50-row Jinja page of bench/common.py at /bench/plain, the baseline make bench's
wrk figures compare with."""

from app import create_app

from .common import add_plain_page

app = create_app()
add_plain_page(app)
