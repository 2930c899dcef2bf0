"""What the exchange pages show, staff's and institutions' alike: the list with titles and names, and
one exchange as its viewer may see it, with what that viewer may do to it.

Every rule comes from ``broker.services.exchanges`` (who reads, edits, moves and reports), so the
pages offer exactly what the JSON API would accept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.models import Exchange, ExchangeSide, ExchangeStatus, Role
from broker.repositories import exchanges as repo
from broker.schemas.exchange import ExchangeRead, ReportRead
from broker.services import exchanges

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Names:
    """Request and offer titles and institution names, by id, for the exchanges on a page."""

    requests: dict[int, str]
    offers: dict[int, str]
    institutions: dict[int, str]


@dataclass(frozen=True, slots=True)
class ExchangeListing:
    rows: list[ExchangeRead]
    total: int
    names: Names


@dataclass(frozen=True, slots=True)
class ExchangePage:
    exchange: ExchangeRead
    names: Names
    side: ExchangeSide | None  # the viewer's side, for an institution
    editable: frozenset[str]  # the fields the viewer may change now
    moves: list[str]  # the statuses the viewer may move it to
    reports: dict[str, ReportRead]  # by side

    @property
    def can_report(self) -> bool:
        """The viewer's institution may submit or replace its side's report."""
        return self.side is not None and self.exchange.status == ExchangeStatus.completed


def listing(
    session: Session, *, principal: Principal, status: str | None, offset: int = 0
) -> ExchangeListing:
    """The exchanges ``principal`` may read (an institution: those it is a side of), oldest first."""
    found, total = exchanges.list_exchanges(
        session, principal=principal, status=status, institution_id=None, limit=PAGE_SIZE, offset=offset
    )
    rows = [exchanges.exchange_view(e, principal=principal) for e in found]
    return ExchangeListing(rows=rows, total=total, names=_names(session, found))


def page(session: Session, *, principal: Principal, exchange_id: int) -> ExchangePage:
    """One exchange with its history and reports (404 for an institution that is not a side)."""
    found = exchanges.get_exchange(session, principal=principal, exchange_id=exchange_id)
    return page_of(session, found, principal=principal)


def page_of(session: Session, exchange: Exchange, *, principal: Principal) -> ExchangePage:
    view = exchanges.exchange_view(exchange, principal=principal)
    return ExchangePage(
        exchange=view,
        names=_names(session, [exchange]),
        side=exchanges.side_of(exchange, principal),
        editable=exchanges.editable_fields(exchange, principal=principal),
        moves=exchanges.allowed_moves(exchange, principal=principal),
        reports={r.side.value: r for r in view.reports},
    )


def exchanges_of_matches(session: Session, *, principal: Principal, match_ids: list[int]) -> dict[int, int]:
    """``{match_id: exchange_id}`` for the matches among ``match_ids`` that opened an exchange."""
    if principal.role == Role.institution:
        return {}
    return repo.ids_by_match(session, principal=principal, match_ids=match_ids)


def _names(session: Session, found: list[Exchange]) -> Names:
    requests, offers, institutions = repo.titles_and_names(session, exchanges=found)
    return Names(requests=requests, offers=offers, institutions=institutions)
