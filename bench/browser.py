"""What make load's locust users do as a browser would (bench/load_users.py,
bench/surge_users.py): read a form from the HTML, CSRF token included, to post it back; and
judge a response, naming a failure "5xx <status>" or "unexpected <status>" so that the load
scripts can count them per request kind."""

from html.parser import HTMLParser


class _Forms(HTMLParser):
    """Every <form> on a page with the values a browser would submit."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": a, "fields": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
            elif kind != "submit":
                fields[a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            fields.setdefault(a["name"], None)
        elif tag == "option" and self._select:
            if fields.get(self._select) is None or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            fields[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form(html: str, **match) -> dict:
    """The fields of the first form whose attributes contain ``match`` (e.g. id=...)."""
    parser = _Forms()
    parser.feed(html)
    for found in parser.forms:
        if all(v in (found["attrs"].get(k) or "") for k, v in match.items()):
            return {k: v or "" for k, v in found["fields"].items()}
    raise LookupError(f"no form with {match}")


def check(response, *expected: int) -> bool:
    if response.status_code >= 500:
        response.failure(f"5xx {response.status_code}")
    elif response.status_code not in expected:
        response.failure(f"unexpected {response.status_code}")
    else:
        response.success()
        return True
    return False
