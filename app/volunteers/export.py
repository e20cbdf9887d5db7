"""The fund's volunteers and confirmed hours as XLSX, for the district's volunteer system.

Why the ID numbers are whole here and nowhere else: 全国志愿服务信息系统 and its local mirrors
register volunteers by real name (实名注册, 《志愿服务条例》) and match hours to a person by the
resident ID number, so a masked number cannot be imported. The file is therefore kept to the
roles of the policy action ``volunteer.export`` (the people who keep the records), it is a POST
whose every download is written to the audit trail with its row counts (views.export_xlsx), and
no page or public export shows the whole number (tests/test_privacy_public.py). The mobile
number stays too: the district's system registers a volunteer with it."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.funds.models import Fund

from . import services
from .models import Activity, HourEntry, HourKind, Volunteer


def filename(fund: Fund) -> str:
    return f"{fund.name}-志愿服务-{local_today().isoformat()}.xlsx"


def workbook(fund: Fund) -> tuple[bytes, int, int]:
    """The file, and how many volunteers and service rows it holds (for the audit trail)."""
    book = Workbook()
    people = book.active
    people.title = "志愿者"
    people.append(["序号", "姓名", "公民身份号码", "手机号码", "技能", "累计服务时长（小时）"])
    volunteers = list(db.session.scalars(select(Volunteer).order_by(Volunteer.id)))
    for number, volunteer in enumerate(volunteers, 1):
        people.append([number, volunteer.name, volunteer.id_number, volunteer.phone,
                       volunteer.skills, float(services.hours_text(
                           services.confirmed_minutes(volunteer.id)))])
    hours = book.create_sheet("服务记录")
    hours.append(["日期", "活动", "地点", "姓名", "公民身份号码", "时长（小时）", "类型",
                  "更正原因"])
    by_id = {v.id: v for v in volunteers}
    count = 0
    rows = db.session.execute(select(HourEntry, Activity).join(
        Activity, (Activity.id == HourEntry.activity_id)
        & (Activity.fund_id == HourEntry.fund_id)).order_by(Activity.starts_at, HourEntry.id))
    for entry, activity in rows:
        volunteer = by_id[entry.volunteer_id]
        hours.append([local_today(activity.starts_at).isoformat(), activity.title,
                      activity.place, volunteer.name, volunteer.id_number,
                      float(services.hours_text(entry.minutes)),
                      "服务" if entry.kind == HourKind.SERVICE else "更正", entry.reason])
        count += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), len(volunteers), count
