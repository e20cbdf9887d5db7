"""No page or export the public can open shows what is sealed: every plain value of every
Sealed column (app/privacy.py) in the demo database is looked for in every public GET route
of the URL map (as text, in PDFs and in spreadsheets). A new feature's sealed columns and its
public pages are covered as soon as they exist; the demo must hold such values."""

import io
import subprocess

from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.roles import PUBLIC
from app.extensions import db
from app.privacy import Sealed
from tenants import SYSTEM, using

from .helpers import SPECIAL, _special, admits, app_rules, route_url, sample_url

SHORTEST = 2  # a one-character value (a surname alone) would be found in any page


def sealed_values(app) -> dict[str, set[str]]:
    """column -> the plain values it holds."""
    found: dict[str, set[str]] = {}
    with app.app_context(), using(SYSTEM):
        for mapper in db.Model.registry.mappers:
            for column in mapper.columns:
                if isinstance(column.type, Sealed):
                    values = db.session.scalars(select(column).where(column.is_not(None)))
                    found[f"{mapper.class_.__name__}.{column.key}"] = {
                        v.strip() for v in values if len(v.strip()) >= SHORTEST}
        db.session.remove()
    return found


def text_of(response) -> str:
    kind = response.content_type or ""
    body = response.get_data()
    if kind.startswith("application/pdf"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, check=True,
                              capture_output=True).stdout.decode()
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return body.decode("utf-8", errors="replace")


def public_paths(app) -> list[str]:
    paths = []
    for rule in app_rules(app, "GET"):
        if PUBLIC not in admits(app.view_functions[rule.endpoint].access):
            continue
        if rule.endpoint in SPECIAL:
            paths.append(sample_url(app, rule, {"token": lambda r=rule: _special(app, r.endpoint)}))
        else:
            paths.append(route_url(app, rule))
    return paths


def test_no_public_page_or_export_shows_a_sealed_value(app):
    values = sealed_values(app)
    assert values and all(values.values()), f"the demo holds no sealed values: {values}"
    client = app.test_client()
    leaks = []
    for path in public_paths(app):
        response = client.get(path)
        assert response.status_code < 500, path
        text = text_of(response)
        leaks += [f"{path}: {column} {value!r}" for column, held in values.items()
                  for value in held if value in text]
    assert not leaks, "\n".join(leaks)


def test_the_annual_report_with_its_aid_section_shows_no_sealed_value(app):
    """The fund's annual report of this year, published after the demo's aid programmes ran:
    its 关爱发放 section (programme, people counted, amount, spent) in the PDF, the XLSX and
    the CSV names no one helped (the sealed values of every table are looked for)."""
    from app.auth.models import User
    from app.clock import local_today
    from app.disclosure import services as disclosure
    from app.disclosure.reports import period
    from app.funds.models import Fund
    from tenants import fund_scope

    from .conftest import LOGINS
    from .helpers import FUND

    values = sealed_values(app)
    assert values["Beneficiary.name"] and values["Beneficiary.id_number"]
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            chair = db.session.scalar(select(User).where(User.phone == LOGINS["chair"]))
            report = disclosure.publish(fund, period("annual", local_today().year), chair,
                                        threshold_fen=100000)
            assert report.data and '"aid"' in report.data
            db.session.commit()
            report_id, titles = report.id, [a["title"] for a in
                                            disclosure.ReportData.from_json(report.data).aid]
        db.session.remove()
    assert titles, "the demo's programmes are in the report"
    client = app.test_client()
    leaks = []
    for fmt in ("pdf", "xlsx", "csv"):
        response = client.get(f"/f/{FUND}/public/reports/{report_id}.{fmt}")
        assert response.status_code == 200, fmt
        text = text_of(response)
        assert all(title in text for title in titles), fmt
        leaks += [f"{fmt}: {column} {value!r}" for column, held in values.items()
                  for value in held if value in text]
    assert not leaks, "\n".join(leaks)
