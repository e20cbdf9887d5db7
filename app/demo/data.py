"""The demo world: 芦湾镇 with four village funds and a township fund, and 桃源镇 beside it.

Each later feature adds its own seed step to SEED_STEPS (a function taking the Demo), so the
demo grows with the product. Every demo user shares one password (config DEMO_PASSWORD).
"""

from dataclasses import dataclass, field

from faker import Faker

from app.auth import services as accounts
from app.auth.roles import Role
from app.funds import services as funds
from app.funds.models import Fund, Township

HOST = "苏州市吴江区慈善总会"

# (township slug, name, village, kind, receipt prefix, committee size)
FUNDS = [
    ("luwan", "芦湾镇社区慈善基金", "芦湾镇", "township", "LWZ", 7),
    ("luwan", "东港村社区慈善基金", "东港村", "village", "DGC", 7),
    ("luwan", "南塘村社区慈善基金", "南塘村", "village", "NTC", 5),
    ("luwan", "西浜村社区慈善基金", "西浜村", "village", "XBC", 5),
    ("luwan", "北舍社区慈善基金", "北舍社区", "community", "BSSQ", 6),
    ("taoyuan", "桃源村社区慈善基金", "桃源村", "village", "TYC", 5),
]

# The documented logins: (who, login, name, email, [(role, fund prefix or township slug)])
PEOPLE = [
    ("平台管理员 platform admin", "admin@shanlin.local", "平台管理员", None,
     [(Role.PLATFORM_ADMIN, None)]),
    ("芦湾镇管理员 township admin", "13900000001", "周建华", "zhoujianhua@luwan.example.cn",
     [(Role.TOWNSHIP_ADMIN, "luwan")]),
    ("桃源镇管理员 admin of the other township", "13900000002", "沈国平", None,
     [(Role.TOWNSHIP_ADMIN, "taoyuan")]),
    ("东港村 主任 chair", "13900000011", "王秀英", None, [(Role.CHAIR, "DGC")]),
    ("东港村 经办人 treasurer", "13900000012", "李建国", None, [(Role.TREASURER, "DGC")]),
    ("东港村 委员 committee member", "13900000013", "张桂兰", None, [(Role.MEMBER, "DGC")]),
    ("东港村 监事 supervisor", "13900000014", "刘志强", None, [(Role.SUPERVISOR, "DGC")]),
    ("东港村 秘书 secretary", "13900000015", "赵丽娟", None, [(Role.SECRETARY, "DGC")]),
    ("东港村 社工 social worker", "13900000016", "孙晓燕", None, [(Role.SOCIAL_WORKER, "DGC")]),
    ("东港村 and 南塘村 委员 member of two funds", "13900000020", "陈美玲",
     "chenmeiling@example.cn", [(Role.MEMBER, "DGC"), (Role.MEMBER, "NTC")]),
    ("南塘村 经办人 treasurer", "13900000021", "吴海涛", None, [(Role.TREASURER, "NTC")]),
]


@dataclass
class Demo:
    password: str
    townships: dict[str, Township] = field(default_factory=dict)
    funds: dict[str, Fund] = field(default_factory=dict)


def build(password: str) -> Demo:
    demo = Demo(password=password)
    demo.townships["luwan"] = funds.create_township("芦湾镇", region="苏州市吴江区", slug="luwan")
    demo.townships["taoyuan"] = funds.create_township("桃源镇", region="苏州市吴江区",
                                                      slug="taoyuan")
    for township, name, village, kind, prefix, _size in FUNDS:
        demo.funds[prefix] = funds.create_fund(
            demo.townships[township], name, host_charity=HOST, receipt_prefix=prefix,
            village=village, kind=kind,
        )

    seated = {prefix: 0 for prefix in demo.funds}  # committee seats filled so far
    staffed = set()  # (fund prefix, role) given to a named person
    for _who, login, name, email, roles in PEOPLE:
        phone = login if login.isdigit() else None
        user = accounts.create_user(name, password, phone=phone, email=email or
                                    (None if phone else login))
        for role, where in roles:
            if role == Role.TOWNSHIP_ADMIN:
                accounts.add_membership(user, role, township=demo.townships[where])
            elif where:
                accounts.add_membership(user, role, fund=demo.funds[where])
                staffed.add((where, role))
                seated[where] += role in (Role.CHAIR, Role.MEMBER, Role.SUPERVISOR)
            else:
                accounts.add_membership(user, role)

    # Everyone else: a chair, members and one supervisor (who does not vote) per committee.
    faker = Faker("zh_CN")
    faker.seed_instance(20261129)
    phones = iter(range(13900000101, 13900099999))

    def anyone():
        return accounts.create_user(faker.name(), password, phone=str(next(phones)))

    for _township, _name, _village, _kind, prefix, size in FUNDS:
        fund = demo.funds[prefix]
        for role in (Role.CHAIR, Role.SUPERVISOR, Role.TREASURER):
            if (prefix, role) not in staffed:
                accounts.add_membership(anyone(), role, fund=fund)
                seated[prefix] += role != Role.TREASURER
        for _ in range(size - seated[prefix]):
            accounts.add_membership(anyone(), Role.MEMBER, fund=fund)

    for step in SEED_STEPS:
        step(demo)
    return demo


def _seed_steps():
    from app.donations.demo import seed as donations
    from app.giving.demo import seed as giving
    from app.governance.demo import seed as governance
    from app.payouts.demo import seed as payouts
    from app.portal.demo import seed as portal
    from app.receipts.demo import catch_up as receipts_caught_up
    from app.receipts.demo import seed as receipts

    from .aid import seed as aid
    from .campaigns import seed as campaigns
    from .volunteers import seed as volunteers
    from .wishes import seed as wishes

    return [donations, receipts, governance, payouts, portal, aid, wishes, volunteers, giving,
            campaigns, receipts_caught_up]


SEED_STEPS = _seed_steps()
