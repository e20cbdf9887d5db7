# 善邻 Shanlin: one image for the web app (gunicorn, the default command) and the jobs worker
# (command: flask jobs worker). See docs/deploy.md; compose.yaml runs both with PostgreSQL
# and Redis.
#
# Bookworm on purpose: its postgresql-client is 15, the same major version as the postgres:15
# service in compose.yaml, and pg_dump must not be older than the server it backs up.
FROM python:3.11-slim-bookworm

# WeasyPrint lays out receipts with Pango and HarfBuzz (libharfbuzz-subset0 keeps the embedded
# fonts small and fast to subset); app/pdf.py finds the Chinese fonts with fc-list (fontconfig);
# pg_dump and pg_restore are for `flask backup`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig \
        fonts-wqy-microhei fonts-noto-cjk postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi.py \
    SHANLIN_VAR_DIR=/data

RUN useradd --system --uid 10001 --create-home --home-dir /home/shanlin shanlin \
    && mkdir /data && chown shanlin:shanlin /data

WORKDIR /app
# The dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
# Editable: templates/, static/ and migrations/ are found next to app/, as in a checkout.
RUN pip install --no-deps -e . \
    && pybabel compile -d app/translations

USER shanlin
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# Sync workers, one request each: WeasyPrint's font configuration is shared per process and is
# not for threads. A receipt PDF takes ~0.1 s of CPU; annual receipts and print runs go to the
# jobs worker. Workers: WEB_CONCURRENCY (gunicorn reads it), about 2 x CPU cores.
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "wsgi:app", "--bind", "0.0.0.0:8000", "--timeout", "60", \
     "--graceful-timeout", "30", "--max-requests", "2000", "--max-requests-jitter", "200", \
     "--access-logfile", "-"]
