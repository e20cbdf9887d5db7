"""WeChat Pay's daily trade bill, read to find paid gifts whose notification never came: each
paid order of ours still pending is asked about (a signed answer) and booked on the one path.
The bill itself is not signed, so it only says where to look; the query decides."""

import csv
import gzip
import io
import json
import logging
from collections import Counter
from datetime import date

from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from tenants import fund_scope, using

from . import orders, services
from .gateway import GatewayError, get_gateway

log = logging.getLogger(__name__)


def paid_orders(bill: bytes) -> list[str]:
    """The 商户订单号 of the bill's paid lines (values written behind a backtick)."""
    text = (gzip.decompress(bill) if bill[:2] == b"\x1f\x8b" else bill).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = rows[0]
    number, state = header.index("商户订单号"), header.index("交易状态")
    return [row[number].lstrip("`") for row in rows[1:]
            if len(row) > state and row[state].lstrip("`") in ("SUCCESS", "REFUND")]


def download(day: date, township: str | None = None) -> bytes:
    client = get_gateway("wechatpay", township=township).client
    code, answer = client.trade_bill(bill_date=day.isoformat())
    if code == 400 and "NO_STATEMENT_EXIST" in str(answer):
        return b""
    if code != 200:
        raise GatewayError(f"trade bill for {day}: {code} {answer}")
    code, bill = client.download_bill(json.loads(answer)["download_url"])
    if code != 200:
        raise GatewayError(f"trade bill download for {day}: {code}")
    return bill if isinstance(bill, bytes) else bill.encode()


def reconcile(day: date, township: str | None = None) -> Counter:
    """Book what the day's bill shows paid and our books do not; counts by outcome. The bill
    of the deployment's merchant account, or of a township's own (its code)."""
    gateway = get_gateway("wechatpay", township=township)
    counts = Counter()
    bill = download(day, township)
    for number in paid_orders(bill) if bill else []:
        order = orders.parse(number)
        if order is None:
            counts["not ours"] += 1
            continue
        with using(fund_scope(order.fund_id)):
            donation = db.session.scalar(select(Donation).where(
                Donation.gateway == gateway.name, Donation.gateway_ref == number))
            if donation is None or donation.status != "pending":
                counts["already booked" if donation else "unknown payment"] += 1
                continue
            counts[services.check_payment(gateway, donation)] += 1
            db.session.commit()
    return counts
