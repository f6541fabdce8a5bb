"""The admin API's blueprints, /api/admin/v1: every endpoint is for staff, most of them for staff
whose role holds a permission."""

from __future__ import annotations

from functools import wraps

from admin.security import current_staff, staff_required
from app.api import Blueprint, named
from app.validation import page_of_query

PREFIX = "/api/admin/v1"


class StaffBlueprint(Blueprint):
    """A blueprint of the admin API, under its prefix, whose endpoints say in one decorator
    which permission they need and how they read and answer (`staff`); lists, single records
    and the answers to a review share their endpoints (`listing`, `detail`, `sign_or_reject`)."""

    def __init__(self, name: str, import_name: str, description: str):
        super().__init__(name, import_name, url_prefix=PREFIX, description=description)

    def staff(self, permission: str | None, *, query=None, body=None, status=200, out=None):
        """An endpoint (under its route) for a staff token whose role holds `permission` (any
        staff token for None), checked before anything else is read; then, as far as they are
        given, the query string parsed by `query` or the body by `body` (passed to the view
        before the rule's ids), and the answer dumped by `out` with `status`."""

        def decorator(view):
            if out is not None:
                view = self.response(status, out)(view)
            if body is not None:
                view = self.arguments(body)(view)
            if query is not None:
                view = self.arguments(query, location="query")(view)
            return staff_required(permission)(view)

        return decorator

    def listing(self, rule: str, permission: str, query_in, page_out, load=list):
        """GET `rule`, a list for staff holding `permission`: the page that `query_in` asks for
        (with the list's own filters) of the query the view answers for those arguments and the
        rule's ids, each page's rows made into items by `load` (as for page_of_query), dumped by
        `page_out`."""

        def decorator(view):
            @wraps(view)
            def page(args, **ids):
                return page_of_query(view(args, **ids), args, load)

            return self.get(rule)(self.staff(permission, query=query_in, out=page_out)(page))

        return decorator

    def detail(self, name: str, rule: str, permission: str, out, fetch) -> None:
        """GET `rule`, whose one variable is the record's id (the endpoint `name`), for staff
        holding `permission`: the record as `fetch(staff, record_id)` finds it in the caller's
        scope (else not_found 404), dumped by `out`."""

        @self.get(rule)
        @self.staff(permission, out=out)
        @named(name)
        def detail(**ids):
            (record_id,) = ids.values()
            return fetch(current_staff(), record_id)

    def sign_or_reject(
        self,
        item: str,
        noun: str,
        out,
        service,
        schemas: tuple,
        signing: str | None,
        *,
        permission: str = "orders.approve",
    ) -> None:
        """The answers staff holding `permission` (orders.approve, the approvers' own, unless the
        document asks for another) give a `noun` under review, `item` being its rule (with its
        one id): POST `item`/approve (the endpoint approve_<noun>, which `signing` documents)
        signs the next step with the body's `comment`, POST `item`/reject (reject_<noun>) refuses
        it for the body's `reason`. `service.approve` and `service.reject` answer them, called
        with (staff, id, comment or reason); `schemas` are their bodies'; the answer is dumped by
        `out`."""

        def answer_endpoint(verb: str, answer, body_in, field: str, doc: str | None) -> None:
            @self.post(f"{item}/{verb}")
            @self.staff(permission, body=body_in, out=out)
            @named(f"{verb}_{noun}", doc)
            def answer_review(data, **ids):
                (record_id,) = ids.values()
                return answer(current_staff(), record_id, data[field])

        approve_in, reject_in = schemas
        answer_endpoint("approve", service.approve, approve_in, "comment", signing)
        answer_endpoint("reject", service.reject, reject_in, "reason", None)
