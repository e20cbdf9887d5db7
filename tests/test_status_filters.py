"""A list's filter never names the response's status or a header: each list answers 200 for each
of its own filter values and for hostile ones (a status line with CRLF and a script, a number)."""

import pytest

from app.governance.models import ProposalStatus
from app.oversight.anomalies import AnomalyKind
from app.payouts.models import PayoutStatus
from app.receipts.models import ReceiptStatus

from .conftest import LOGINS

INJECTION = "200 OK\r\nContent-Type: text/html\r\nX-Injected: 1\r\n\r\n<script>alert(1)</script>"
HOSTILE = [INJECTION, "999", "paid\r\nX-Injected: 1", "", "²", "x" * 5000]

LISTS = [
    ("chair", "/f/donggangcun/payouts/", "status", PayoutStatus),
    ("chair", "/f/donggangcun/proposals/", "status", ProposalStatus),
    ("treasurer", "/f/donggangcun/receipts/", "status", ReceiptStatus),
    ("this_township_admin", "/t/luwan/anomalies", "kind", AnomalyKind),
]


@pytest.mark.parametrize(("who", "url", "name", "values"), LISTS,
                         ids=[url for _, url, _, _ in LISTS])
def test_every_filter_value_and_hostile_ones_answer_200(auth, who, url, name, values):
    auth.login(LOGINS[who])
    for value in [*values, *HOSTILE]:
        for partial in (False, True):
            headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if partial else {}
            response = auth.client.get(url, query_string={name: value}, headers=headers)
            assert response.status_code == 200, (url, value, response.status)
            assert response.status == "200 OK"
            assert "X-Injected" not in response.headers
            assert response.headers["Content-Type"].startswith("text/html")
            assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_render_takes_only_an_int_as_the_status(app):
    from app.rendering import render

    with app.test_request_context("/"), pytest.raises(TypeError):
        render("errors/error.html", http_status="200 OK\r\nX-Injected: 1")
