"""The base for every fund-owned table: fund_id NOT NULL and composite keys that include it."""

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Table, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class FundOwned:
    """Mixin for tables that belong to one fund.

    Every such table has UNIQUE (fund_id, id), so other fund-owned tables can point at it
    with a composite foreign key (fund_id, x_id) -> (fund_id, id): the database itself then
    refuses a row that points into another fund. Subclasses list their own constraints in
    ``__fund_args__`` (a tuple); the mixin adds the (fund_id, id) key to them.
    """

    __fund_args__: tuple = ()

    @declared_attr
    def fund_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("fund.id"), nullable=False, index=True)

    @declared_attr.directive
    def __table_args__(cls):
        return (*cls.__fund_args__, UniqueConstraint("fund_id", "id"))


def same_fund_fk(column: str, target: str, **kw) -> ForeignKeyConstraint:
    """(fund_id, column) -> target(fund_id, id): a reference that cannot cross funds."""
    return ForeignKeyConstraint(
        ["fund_id", column], [f"{target}.fund_id", f"{target}.id"], **kw
    )


def fund_owned_tables() -> frozenset[Table]:
    """Every mapped table of a FundOwned model: found from the classes, so a new feature's
    tables are scoped, given a policy and checked without being listed anywhere."""
    tables, classes = set(), list(FundOwned.__subclasses__())
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        mapper = inspect(cls, raiseerr=False)  # None for a class that is not mapped
        if mapper is not None:
            tables.add(mapper.local_table)
    return frozenset(tables)
