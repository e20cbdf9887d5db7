"""The layout the README and docs/architecture.md describe is the code's: every package, every
fund-owned table, and the tenancy layer below the application."""

import re
from pathlib import Path

from app import _import_models
from tenants.model import fund_owned_tables

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGES = sorted(p.name for p in (ROOT / "app").iterdir()
                  if p.is_dir() and p.name != "__pycache__")


def test_the_readme_lists_every_package():
    assert "payouts" in PACKAGES
    assert [p for p in PACKAGES if not re.search(rf"^  {p}/ ", README, re.M)] == []


def test_the_architecture_names_every_package_and_every_fund_owned_table():
    _import_models()
    tables = {t.name for t in fund_owned_tables()}
    assert "donation" in tables and "aid_voucher" in tables
    named = set(re.findall(r"`(\w+)`", ARCHITECTURE))
    assert sorted(set(PACKAGES) - named) == []
    assert sorted(tables - named) == []


def test_the_tenancy_layer_imports_nothing_of_the_application():
    imports = re.compile(r"^\s*(?:from|import)\s+app\b", re.M)
    found = [p.name for p in (ROOT / "tenants").glob("*.py") if imports.search(p.read_text())]
    assert found == []
