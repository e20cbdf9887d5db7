"""Demo donations: two years of a village fund's giving, shaped like real life.

Spring Festival brings the migrant workers home (the biggest spike), 99公益日 in September
moves online giving, and 重阳节 has a village assembly whose cash is entered as a batch.
Most gifts are a villager's ¥50-200; a few large ones each year (a 乡贤 home for the festival,
a local company on 99公益日, cash handed over at the assembly) make a village fund's year a
few hundred thousand yuan, whatever the number of small gifts (the tests load 40).
Rows go in through bulk inserts: thousands per fund in a second or two.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import func, select, text

from app.clock import LOCAL, local_today
from app.db_types import utcnow
from app.donors.models import Donor
from app.donors.services import initials
from app.extensions import db
from app.ledger.models import LedgerEntry
from tenants import fund_scope, using

from .models import Batch, Designation, Donation, DonationPoint

SPRING_FESTIVAL = [date(2025, 1, 29), date(2026, 2, 17)]
CHONGYANG = [date(2025, 10, 29), date(2026, 10, 18)]
PURPOSES = ["重阳敬老餐", "困难学生助学金", "微心愿"]
SHOPS = ["{}超市", "{}五金店", "{}农家乐", "{}水产合作社", "苏州{}纺织有限公司", "{}建材商行"]
CHANNELS = ["cash"] * 35 + ["wechat"] * 30 + ["bank"] * 15 + ["alipay"] * 10 + ["card"] * 8 + [
    "in_kind"] * 2
PERSON_YUAN = [20] * 10 + [50] * 25 + [100] * 35 + [200] * 15 + [66, 88, 168] * 3 + [500] * 3
# Each year's large gifts: (the days of the two years, or None for 99公益日, who, channel, yuan).
# The cash one is over the township's large-cash threshold: an anomaly to review.
MAJOR = [(SPRING_FESTIVAL, "person", "bank", 50_000), (None, "organisation", "bank", 30_000),
         (CHONGYANG, "person", "cash", 12_000)]


def seed(demo, per_fund: int | None = None) -> None:
    from flask import current_app

    per_fund = per_fund if per_fund is not None else current_app.config["DEMO_DONATIONS_PER_FUND"]
    today = local_today()
    for prefix, fund in demo.funds.items():
        with using(fund_scope(fund.id)):
            seed_fund(fund, random.Random(f"{prefix}-2026"), per_fund, today)


def _moment(day: date, now: datetime) -> datetime:
    """When a past gift was booked: the morning of the day it came in (Beijing time), so the
    ledger's months match the donations' (never later than now)."""
    booked = datetime.combine(day, time(10, 0), tzinfo=LOCAL).astimezone(UTC)
    return min(booked, now)


def _day(rng: random.Random, today: date) -> date:
    """A day in the last two years, weighted towards the festivals."""
    roll = rng.random()
    if roll < 0.30:
        center = rng.choice(SPRING_FESTIVAL)
        day = center + timedelta(days=rng.randint(-12, 8))
    elif roll < 0.42:
        day = date(rng.choice([2025, 2026]), 9, rng.randint(7, 9))
    elif roll < 0.52:
        day = rng.choice(CHONGYANG) + timedelta(days=rng.randint(-3, 3))
    else:
        day = today - timedelta(days=rng.randint(0, 729))
    return min(day, today)


def _insert(model, rows: list[dict]) -> None:
    table = model.__table__
    db.session.execute(table.insert().returning(table.c.id), rows)


def _analyze(table: str) -> None:
    """Fresh statistics for the rows just loaded: without them PostgreSQL checks each foreign
    key of the next thousands of rows by scanning the table (quadratic loading). Only the
    tables' owner may analyze; for anyone else it is a skipped no-op."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {table}"))


def _major(fund, batches, person_id, organisation_id, today, now) -> list[dict]:
    """This fund's large gifts of each year gone by (MAJOR)."""
    rows = []
    for year in range(2):
        for n, (days, who, channel, yuan) in enumerate(MAJOR):
            day = days[year] if days else date(2025 + year, 9, 9)  # 99公益日
            if day > today:
                continue
            batch = batches.get(day) if channel == "cash" else None
            rows.append(dict(
                donor_id=person_id if who == "person" else organisation_id,
                amount_fen=yuan * 100, channel=channel, received_on=day,
                reference=f"BANK{fund.id:03d}9{year}{n:05d}" if channel == "bank" else None,
                status="confirmed", designation_id=None,
                point_id=batch.point_id if batch else None,
                batch_id=batch.id if batch else None, item_description="", item_quantity="",
                valuation_basis="", gateway=None, gateway_ref=None,
                confirmed_at=_moment(day, now), created_at=_moment(day, now), refunded_fen=0,
                handler_id=None, message="", notes="", recorded_by_id=None))
    return rows


def seed_fund(fund, rng: random.Random, count: int, today: date) -> None:
    """Donors, purposes, points, ``count`` donations with their ledger, for one fund (in its
    scope). The benchmarks use it too."""
    faker = Faker("zh_CN")
    faker.seed_instance(fund.id)
    purposes = [Designation(name=name) for name in PURPOSES]
    points = [DonationPoint(name=f"{fund.village}社工站捐赠站点",
                            address=f"{fund.village}村委会一楼"),
              DonationPoint(name=f"{fund.village}村委会募捐箱")]
    db.session.add_all(purposes + points)
    db.session.flush()

    people = max(20, count // 8)
    donor_rows = []
    for i in range(people):
        name = faker.name()
        donor_rows.append(dict(
            kind="person", name=name, initials=initials(name),
            phone=f"13{rng.randint(0, 9)}{fund.id:02d}{i:06d}"[:11] if rng.random() < 0.6 else None,
            anonymity=rng.choices(["show", "caring", "anonymous"], [75, 20, 5])[0]))
    for template in SHOPS:
        name = template.format(fund.village.removesuffix("村").removesuffix("社区"))
        donor_rows.append(dict(kind="organisation", name=name, initials=initials(name),
                               anonymity="show"))
    now = utcnow()
    # Core inserts with every column given, RETURNING so that SQLAlchemy batches them into
    # multi-row statements on PostgreSQL too (the ORM's bulk insert splits rows by which
    # columns are None). The tenancy layer still checks each row's fund.
    for row in donor_rows:
        row.update(created_at=now, address="", id_number="", locale="zh_Hans", notes="",
                   email=None, merged_into_id=None, phone=row.get("phone"))
    _insert(Donor, donor_rows)
    _analyze("donor")
    donor_ids = db.session.scalars(select(Donor.id).where(Donor.kind == "person")).all()
    organisations = db.session.scalars(select(Donor.id).where(Donor.kind == "organisation")).all()

    batches = {}
    for day in CHONGYANG:
        if day <= today:
            batches[day] = Batch(title=f"{day.year}年重阳节{fund.village}村民大会募捐",
                                 channel="cash",
                                 received_on=day, counted_total_fen=0, point_id=points[0].id,
                                 status="closed", closed_at=utcnow())
    db.session.add_all(batches.values())
    db.session.flush()

    rows = []
    for n in range(count):
        day = _day(rng, today)
        channel = rng.choice(CHANNELS)
        batch = batches.get(day) if channel == "cash" else None
        organisation = rng.random() < 0.02
        donor_id = rng.choice(organisations) if organisation else (
            None if channel == "cash" and rng.random() < 0.15 else rng.choice(donor_ids))
        yuan = rng.randint(2, 30) * 100 if organisation else rng.choice(PERSON_YUAN)
        bags = max(1, yuan // 100)  # rice in kind, valued at its shop price
        rows.append(dict(
            donor_id=donor_id, amount_fen=yuan * 100, channel=channel, received_on=day,
            reference=f"{channel.upper()}{fund.id:03d}{n:07d}" if channel in (
                "bank", "wechat", "alipay") else None,
            status="failed" if channel == "card" and rng.random() < 0.05 else "confirmed",
            designation_id=rng.choice(purposes).id if rng.random() < 0.25 else None,
            point_id=points[0].id if channel == "cash" else None,
            batch_id=batch.id if batch else None,
            item_description="大米（10 公斤装）" if channel == "in_kind" else "",
            item_quantity=f"{bags} 袋" if channel == "in_kind" else "",
            valuation_basis=f"按供货超市零售价每袋 ¥{yuan / bags:,.2f} 计" if channel == "in_kind"
            else "",
            gateway="stripe" if channel == "card" else None,
            gateway_ref=f"pi_demo_{fund.id}_{n}" if channel == "card" else None,
            confirmed_at=_moment(day, now), created_at=_moment(day, now), refunded_fen=0,
            handler_id=None,
            message="", notes="", recorded_by_id=None,
        ))
    rows.extend(_major(fund, batches, donor_ids[0], organisations[0], today, now))
    _insert(Donation, rows)
    _analyze("donation")
    # Every confirmed gift's ledger entry, read back and written in one executemany.
    confirmed = db.session.execute(select(Donation.id, Donation.amount_fen,
                                          Donation.designation_id, Donation.received_on)
                                   .where(Donation.status == "confirmed")).all()
    _insert(LedgerEntry, [
        dict(kind="donation", amount_fen=amount, reference=f"donation:{donation_id}",
             donation_id=donation_id, designation_id=designation_id, reason="",
             created_at=_moment(day, now), created_by_id=None, reverses_id=None)
        for donation_id, amount, designation_id, day in confirmed])
    for batch in batches.values():
        batch.counted_total_fen = db.session.scalar(
            select(func.sum(Donation.amount_fen)).where(Donation.batch_id == batch.id)) or 0
    # A few online gifts were refunded, some in part, a few days or weeks after they came (all
    # booked today would make this month's income negative on the notice board).
    card = db.session.scalars(select(Donation).where(
        Donation.channel == "card", Donation.status == "confirmed").limit(max(1, count // 300)))
    for donation in card:
        part = rng.random() < 0.5
        refunded = donation.amount_fen // 2 if part else donation.amount_fen
        donation.refunded_fen = refunded
        donation.status = "partially_refunded" if part else "refunded"
        db.session.add(LedgerEntry(kind="refund", amount_fen=-refunded, reason="捐赠人申请退款",
                                   reference=f"re_demo_{donation.id}", donation_id=donation.id,
                                   designation_id=donation.designation_id,
                                   created_at=_moment(donation.received_on + timedelta(
                                       days=rng.randint(2, 30)), now)))

    # One collection is being entered right now, for the batch-entry screen.
    db.session.add(Batch(title=f"{today.year}年冬至{fund.village}敬老募捐", channel="cash",
                         received_on=today, counted_total_fen=186000, point_id=points[1].id))
    db.session.flush()
