"""Pages of a long list, when the caller already knows how many rows there are."""

from dataclasses import dataclass

from app.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_of(query, total: int, page: int, per_page: int = 50) -> Page:
    page = max(1, page)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), page, per_page, total)
