from app.todo.services import waiting_for
from app.auth.services import find_user
from tenants import SYSTEM, using
from .conftest import LOGINS

def test_explore(app, client, auth):
    with app.test_request_context():
        for who in ["chair", "treasurer", "member", "supervisor", "secretary", "social_worker", "two_funds", "other_fund_member", "this_township_admin"]:
            user = find_user(LOGINS[who])
            items = waiting_for(user)
            print(who, [(i.kind.value, i.fund.slug, i.count, i.line, i.endpoint, i.params) for i in items])
    auth.login(LOGINS["chair"])
    r = client.get("/f/donggangcun/")
    print(r.status_code, r.get_data(as_text=True)[:3000])
