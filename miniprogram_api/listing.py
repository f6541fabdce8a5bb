"""The signed-in dealer's own records, a page at a time or one by its id: the endpoints
blueprints share."""

from __future__ import annotations

from app.api import named, page_from
from app.validation import PageIn
from miniprogram_api.security import current_customer, dealer_required


def dealer_page(bp, name: str, rule: str, page_out, fetch) -> None:
    """GET `rule` (the endpoint `name`): the page asked for of the dealer's customer's records,
    as `fetch(customer_id, page, per_page)` answers them, `(items, total)`, dumped by
    `page_out`."""

    @bp.get(rule)
    @dealer_required
    @bp.arguments(PageIn, location="query")
    @bp.response(200, page_out)
    @named(name)
    def page(args):
        return page_from(fetch, args, current_customer().id)


def dealer_record(bp, name: str, rule: str, out, fetch) -> None:
    """GET `rule`, whose one variable is the record's id (the endpoint `name`): the record as
    `fetch(customer_id, record_id)` finds it among the dealer's customer's own (else not_found
    404), dumped by `out`."""

    @bp.get(rule)
    @dealer_required
    @bp.response(200, out)
    @named(name)
    def record(**ids):
        (record_id,) = ids.values()
        return fetch(current_customer().id, record_id)
