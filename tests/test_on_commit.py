"""on_commit(): work that runs once its transaction commits (jobs, receipt and committee mail),
never for a transaction that rolled back."""

from sqlalchemy import select

from app.auth.models import User
from app.database import on_commit
from app.extensions import db


def test_a_rolled_back_transaction_runs_none_of_its_hooks(app):
    ran = []
    with app.app_context():
        on_commit(lambda: ran.append("before any statement"))
        db.session.rollback()
        db.session.scalar(select(User.id).limit(1))
        on_commit(lambda: ran.append("after a statement"))
        db.session.rollback()
        db.session.commit()  # a later transaction does not inherit them
        assert ran == []


def test_a_committed_transaction_runs_each_hook_once_in_order(app):
    ran = []
    with app.app_context():
        on_commit(lambda: ran.append("dropped"))
        db.session.rollback()
        for name in ("job", "receipt", "mail"):
            on_commit(lambda name=name: ran.append(name))
        assert ran == []  # not before the commit
        db.session.commit()
        assert ran == ["job", "receipt", "mail"]
        db.session.commit()
        assert ran == ["job", "receipt", "mail"]  # once
