"""The fund's volunteers and confirmed hours as XLSX, for the district's volunteer system
(全国志愿服务信息系统 and its local mirrors take real names and ID numbers)."""

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


def workbook(fund: Fund) -> bytes:
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
    rows = db.session.execute(select(HourEntry, Activity).join(
        Activity, (Activity.id == HourEntry.activity_id)
        & (Activity.fund_id == HourEntry.fund_id)).order_by(Activity.starts_at, HourEntry.id))
    for entry, activity in rows:
        volunteer = by_id[entry.volunteer_id]
        hours.append([local_today(activity.starts_at).isoformat(), activity.title,
                      activity.place, volunteer.name, volunteer.id_number,
                      float(services.hours_text(entry.minutes)),
                      "服务" if entry.kind == HourKind.SERVICE else "更正", entry.reason])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
