"""Demo giving: 东港村's WeChat collection code on the donate page, three gifts donors reported
paying to it, and last week's bill imported: two reports matched, one line and one report
left for the treasurer's matching screen."""

import io
from datetime import timedelta

import segno
from sqlalchemy import select

from app.clock import LOCAL
from app.db_types import utcnow
from app.extensions import db
from tenants import fund_scope, using

from . import bills, services
from .models import BillLine

FUND = "DGC"
REPORTS = [("王建军", "200", 50), ("陆小红", "100", 30), ("顾志明", "50", 26)]  # hours ago


def _code_png() -> bytes:
    out = io.BytesIO()
    segno.make("wxp://f2f0demo-donggangcun-collection-code").save(out, kind="png", scale=10,
                                                                  border=2)
    return out.getvalue()


def seed(demo) -> None:
    fund = demo.funds[FUND]
    now = utcnow().astimezone(LOCAL).replace(second=0, microsecond=0)
    with using(fund_scope(fund.id)):
        services.save_code("wechat", f"{fund.village}村民委员会", _code_png(), None)
        for name, amount, hours in REPORTS:
            paid = now - timedelta(hours=hours)
            services.report_gift(services.ReportInput(
                kind="wechat", name=name, amount=amount, paid_on=f"{paid:%Y-%m-%d}",
                paid_time=f"{paid:%H:%M}", phone_last4="8" + amount[:3].rjust(3, "0")))
        lines = [(now - timedelta(hours=50, minutes=-2), "王**", "200.00", "4200002601",
                  f"{fund.village}+王建军"),
                 (now - timedelta(hours=30, minutes=-5), "陆*", "100.00", "4200002602", ""),
                 (now - timedelta(hours=8), "匿名", "66.00", "4200002603", "")]
        bills.import_bill("wechat", _bill(lines), None)


def _bill(lines) -> bytes:
    rows = ["微信支付账单明细,,,,,,,,,,", ",,,,,,,,,,",
            "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注"]
    rows += [f"{at:%Y-%m-%d %H:%M:%S},二维码收款,{payer},/,收入,¥{amount},/,已存入零钱,"
             f"{serial},/,{note}" for at, payer, amount, serial, note in lines]
    return ("\n".join(rows) + "\n").encode()


def sample(name: str):
    """URL values for the tests' walks over every route (tests/helpers.py SAMPLES), in the
    current fund's scope: a bill line nothing matched, a collection code's kind."""
    if name == "line_id":
        return db.session.scalar(select(BillLine.id).where(BillLine.donation_id.is_(None))
                                 .order_by(BillLine.id))
    return "wechat"
