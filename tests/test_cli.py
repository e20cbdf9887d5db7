"""flask tenants ... and flask demo load, as an operator would type them."""

from sqlalchemy import select

from app.auth.models import Membership
from app.extensions import db
from app.funds.models import Fund
from tenants import SYSTEM, using


def test_create_township_fund_and_member(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create-township", "青石镇",
                                 "--region", "苏州市吴中区"])
    assert result.exit_code == 0, result.output
    assert "/t/qingshizhen/" in result.output

    result = runner.invoke(args=["tenants", "create-fund", "qingshizhen", "上河村社区慈善基金",
                                 "--host-charity", "苏州市吴中区慈善基金会",
                                 "--receipt-prefix", "SHC", "--village", "上河村"])
    assert result.exit_code == 0, result.output
    assert "/f/shanghecun/" in result.output

    result = runner.invoke(args=["tenants", "add-member", "13700000001", "chair",
                                 "--fund", "shanghecun", "--name", "何玉兰",
                                 "--password", "long-password-1"])
    assert result.exit_code == 0, result.output

    listing = runner.invoke(args=["tenants", "list"]).output
    assert "qingshizhen" in listing and "shanghecun\t上河村社区慈善基金\tSHC\tactive" in listing

    client = app.test_client()
    client.post("/auth/login", data={"login": "13700000001", "password": "long-password-1"})
    assert "上河村社区慈善基金" in client.get("/f/shanghecun/").get_data(as_text=True)


def test_cli_errors_are_clear_and_write_nothing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create-fund", "no-such-township", "某村基金",
                                 "--host-charity", "某慈善会", "--receipt-prefix", "MC"])
    assert result.exit_code != 0 and "no township no-such-township" in result.output
    result = runner.invoke(args=["tenants", "create-fund", "luwan", "某村基金",
                                 "--host-charity", "某慈善会", "--receipt-prefix", "bad prefix"])
    assert result.exit_code != 0 and "receipt prefix" in result.output
    result = runner.invoke(args=["tenants", "add-member", "13700000002", "chair",
                                 "--fund", "donggangcun"])
    assert result.exit_code != 0 and "--name and --password" in result.output
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Fund).where(Fund.name == "某村基金")) is None


def test_add_existing_user_to_second_fund(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "add-member", "13900000013", "member",
                                 "--fund", "xibangcun"])
    assert result.exit_code == 0, result.output
    with app.app_context(), using(SYSTEM):
        roles = db.session.scalars(select(Membership.fund_id).join(Membership.user)
                                   .where(Membership.role == "member")).all()
        assert len(roles) >= 2


def test_demo_load_only_into_an_empty_database(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "already has data" in result.output
    assert "13900000011" in result.output and "demo-password-1" in result.output


def test_demo_has_the_promised_shape(app):
    from app.auth.roles import Role

    with app.app_context(), using(SYSTEM):
        funds = db.session.scalars(select(Fund)).all()
        luwan = [f for f in funds if f.township.slug == "luwan"]
        assert len([f for f in luwan if f.kind != "township"]) >= 4
        assert any(f.kind == "township" for f in luwan)
        for fund in funds:
            roles = db.session.scalars(
                select(Membership.role).where(Membership.fund_id == fund.id)).all()
            committee = [r for r in roles if r in (Role.CHAIR, Role.MEMBER, Role.SUPERVISOR)]
            assert 5 <= len(committee) <= 7, fund.name
            assert roles.count(Role.CHAIR) == 1 and roles.count(Role.SUPERVISOR) == 1, fund.name
            assert Role.TREASURER in roles, fund.name
