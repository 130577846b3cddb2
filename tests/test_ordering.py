"""Ordering: the wizard, its guards, prices and start-up fees, held orders, transitions."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from adminapp.errors import InvalidInput, NotAllowed, TransitionRefused
from adminapp.services import ordering
from adminapp.services.audit import Actor
from adminapp.services.states import move
from models import (
    AuditAction,
    AuditEvent,
    CustomerStatus,
    Offering,
    Order,
    OrderStatus,
    OutboxMessage,
    Role,
    RoleName,
    User,
    UserStatus,
    db,
)

from . import factories
from .conftest import csrf_token_from, deliver

FIELDS = [
    {"name": "go_live", "label": "Go-live date", "type": "date", "required": True},
    {"name": "users", "label": "Number of users", "type": "number", "required": False},
    {
        "name": "plan",
        "label": "Plan",
        "type": "choice",
        "choices": ["Basic", "Plus"],
        "required": True,
    },
]


@pytest.fixture
def catalog(app, world):
    """An offering with care units and fields, and two care units of customer A."""
    with app.app_context():
        service = factories.service(name="Webbtidbok")
        offering = factories.offering(
            service_=service,
            name="Webbtidbok standard",
            needs_care_units=True,
            several_care_units=True,
            order_fields=FIELDS,
            startup_fee=Decimal("5000.00"),
            recurring_fee=Decimal("450.00"),
            terms_text="Terms v1.",
        )
        customer = db.session.get(factories.Customer, world.a.customer_id)
        units = [
            factories.care_unit(customer_=customer, hsa_id=f"SE5566778899-00{i}", name=f"Unit {i}")
            for i in (1, 2)
        ]
        db.session.commit()
        return {
            "offering_id": offering.id,
            "service_id": service.id,
            "unit_ids": [u.id for u in units],
        }


@pytest.fixture
def orderer_a(client, world, login_as):
    login_as(world.a.orderer_email)
    return client


def _token(client, url):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _draft(client, catalog):
    url = f"/portal/order/service/{catalog['service_id']}"
    response = client.post(
        f"/portal/order/offering/{catalog['offering_id']}", data={"csrf_token": _token(client, url)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/portal/order/(\d+)/fill", response.headers["Location"]).group(1))


def _fill(client, order_id, **data):
    url = f"/portal/order/{order_id}/fill"
    form = {
        "csrf_token": _token(client, url),
        "field_go_live": "2027-01-15",
        "field_plan": "Plus",
        "field_users": "25",
        "note": "Please hurry",
    }
    form.update(data)
    return client.post(url, data=form)


def _submit(client, order_id, *, version=1, accept=True):
    url = f"/portal/order/{order_id}/summary"
    data = {"csrf_token": _token(client, url), "terms_version": str(version)}
    if accept:
        data["accept"] = "y"
    return client.post(url, data=data)


def test_the_whole_wizard(app, orderer_a, world, catalog, mail_server):
    start = orderer_a.get("/portal/order/").get_data(as_text=True)
    assert "Webbtidbok" in start
    offerings = orderer_a.get(f"/portal/order/service/{catalog['service_id']}")
    assert "SEK\u00a05,000.00" in offerings.get_data(as_text=True)
    order_id = _draft(orderer_a, catalog)
    response = _fill(orderer_a, order_id, care_units=[str(i) for i in catalog["unit_ids"]])
    assert response.headers["Location"].endswith(f"/portal/order/{order_id}/summary")
    summary = orderer_a.get(f"/portal/order/{order_id}/summary").get_data(as_text=True)
    assert "SEK\u00a05,450.00" in summary  # start-up fee + first period
    assert "Terms v1." in summary and "startup-fee-warning" not in summary
    response = _submit(orderer_a, order_id)
    assert response.headers["Location"].endswith(f"/portal/order/{order_id}")
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.AWAITING_ATTESTATION
        assert order.startup_fee == Decimal("5000.00") and order.recurring_fee == Decimal("450.00")
        assert order.accepted_terms_version == 1 and order.terms_accepted_at
        assert order.field_values == {"go_live": "2027-01-15", "users": "25", "plan": "Plus"}
        assert sorted(u.hsa_id for u in order.care_units) == [
            "SE5566778899-001",
            "SE5566778899-002",
        ]
    deliver(app)
    (email,) = mail_server.to(world.a.attestant_email)
    assert email.subject == f"Order {order_id} waits for your attestation"
    assert re.search(r"http://portal\.test/attest/\S+", email.text)
    assert mail_server.to(world.b.attestant_email) == []
    page = orderer_a.get(f"/portal/order/{order_id}").get_data(as_text=True)
    # The status and the history read as words, never as internal values.
    assert re.search(r'id="order-status">awaiting attestation<', page)
    assert "Sent for attestation by Orderer A" in page  # the history reads as sentences
    assert "awaiting_attestation" not in page


def test_every_attestant_is_emailed(app, orderer_a, world, catalog, mail_server):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.user(
            customer=customer, roles=[RoleName.ATTESTANT], email="second.attestant@example.com"
        )
        db.session.commit()
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    _submit(orderer_a, order_id)
    deliver(app)
    assert len(mail_server.to(world.a.attestant_email)) == 1
    assert len(mail_server.to("second.attestant@example.com")) == 1


def test_drafts_keep_what_was_filled_in(orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][1])])
    page = orderer_a.get(f"/portal/order/{order_id}/fill").get_data(as_text=True)
    assert 'value="2027-01-15"' in page and "Please hurry" in page
    assert re.search(
        rf'value="{catalog["unit_ids"][1]}"[^>]*checked|checked[^>]*value="'
        rf'{catalog["unit_ids"][1]}"',
        page,
    )


def test_submitting_twice_makes_one_order(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    token = _token(orderer_a, f"/portal/order/{order_id}/summary")
    data = {"csrf_token": token, "terms_version": "1", "accept": "y"}
    first = orderer_a.post(f"/portal/order/{order_id}/summary", data=data)
    second = orderer_a.post(f"/portal/order/{order_id}/summary", data=data)  # back + resend
    assert first.status_code == second.status_code == 302
    with app.app_context():
        submitted = db.session.scalars(select(AuditEvent).filter_by(action="submit")).all()
        assert len(submitted) == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.status == OrderStatus.AWAITING_ATTESTATION)
            )
            == 1
        )


def test_start_up_fee_warning_when_the_service_is_already_ordered(app, orderer_a, world, catalog):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        factories.order(
            orderer=orderer,
            offering_=db.session.get(Offering, catalog["offering_id"]),
            status=OrderStatus.COMPLETED,
        )
        factories.order(
            orderer=orderer,
            offering_=db.session.get(Offering, catalog["offering_id"]),
            status=OrderStatus.CANCELLED,
        )
        db.session.commit()
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    page = orderer_a.get(f"/portal/order/{order_id}/summary").get_data(as_text=True)
    assert "startup-fee-warning" in page
    assert "costs another start-up fee" in page and "cheaper" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"care_units": []}, "Choose the care units to connect."),
        ({"field_go_live": ""}, "Go-live date is required."),
        ({"field_go_live": "15/01/2027"}, "Go-live date must be a date, YYYY-MM-DD."),
        ({"field_users": "many"}, "Number of users must be a number."),
        ({"field_plan": "Gold"}, "Not a valid choice"),
    ],
)
def test_bad_input_on_the_form_saves_nothing(app, orderer_a, catalog, data, message):
    order_id = _draft(orderer_a, catalog)
    fields = {"care_units": [str(catalog["unit_ids"][0])], **data}
    response = _fill(orderer_a, order_id, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.field_values == {} and order.care_units == []


def test_care_units_of_another_customer_are_refused(app, orderer_a, world, catalog):
    order_id = _draft(orderer_a, catalog)
    response = _fill(orderer_a, order_id, care_units=[str(world.b.care_unit_id)])
    assert response.status_code == 200  # not a choice on the form: refused there
    with app.app_context():
        db.session.get(Order, order_id)
        with pytest.raises(InvalidInput, match="your own organisation"):
            ordering.fill_draft(
                db.session.get(Order, order_id),
                care_unit_ids=[world.b.care_unit_id],
                field_values={"go_live": "2027-01-01", "plan": "Basic"},
                note="",
                actor=Actor(user=db.session.get(User, world.a.orderer_id)),
            )


def test_terms_must_be_accepted_and_current(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    response = _submit(orderer_a, order_id, accept=False)
    assert "Read and accept the terms" in response.get_data(as_text=True)
    with app.app_context():  # staff change the terms meanwhile
        offering = db.session.get(Offering, catalog["offering_id"])
        offering.terms_text, offering.terms_version = "Terms v2.", 2
        db.session.commit()
    response = _submit(orderer_a, order_id, version=1)
    body = response.get_data(as_text=True)
    assert "The terms changed since you read them" in body and "Terms v2." in body
    assert _submit(orderer_a, order_id, version=2).status_code == 302


def test_a_forged_price_or_customer_in_the_form_changes_nothing(app, orderer_a, world, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(
        orderer_a,
        order_id,
        care_units=[str(catalog["unit_ids"][0])],
        startup_fee="1",
        customer_id=str(world.b.customer_id),
    )
    url = f"/portal/order/{order_id}/summary"
    orderer_a.post(
        url,
        data={
            "csrf_token": _token(orderer_a, url),
            "terms_version": "1",
            "accept": "y",
            "startup_fee": "0.01",
            "recurring_fee": "0",
        },
    )
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.startup_fee == Decimal("5000.00")
        assert order.customer_id == world.a.customer_id


def test_retired_offering_cannot_be_ordered(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    with app.app_context():
        db.session.get(Offering, catalog["offering_id"]).active = False
        db.session.commit()
    response = _submit(orderer_a, order_id)
    assert "retired meanwhile" in response.get_data(as_text=True)
    url = f"/portal/order/service/{catalog['service_id']}"
    response = orderer_a.post(
        f"/portal/order/offering/{catalog['offering_id']}",
        data={"csrf_token": _token(orderer_a, "/portal/order/")},
        follow_redirects=True,
    )
    assert "cannot be ordered any more" in response.get_data(as_text=True)
    assert url


# -- guards ----------------------------------------------------------------------------------


def test_admin_who_is_not_orderer_is_sent_to_switch_to(client, world, login_as, catalog):
    login_as(world.a.admin_email)
    page = client.get("/portal/order/").get_data(as_text=True)
    assert "Switch to" in page and "Orderers" in page
    assert "order-blockers" in page


def test_unsigned_agreement_blocks_ordering(app, orderer_a, world, catalog):
    with app.app_context():
        db.session.get(
            factories.Customer, world.a.customer_id
        ).status = CustomerStatus.AWAITING_SIGNATURE
        db.session.commit()
    page = orderer_a.get("/portal/order/").get_data(as_text=True)
    assert "not signed yet" in page
    token = _token(orderer_a, "/portal/order/")
    response = orderer_a.post(
        f"/portal/order/offering/{catalog['offering_id']}",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "not signed yet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2  # the world's


def test_no_attestant_blocks_ordering_and_names_the_admins(app, orderer_a, world, catalog):
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.roles = [r for r in attestant.roles if r.name != RoleName.ATTESTANT]
        db.session.commit()
    page = orderer_a.get("/portal/order/").get_data(as_text=True)
    assert "give someone the Attestant role" in page
    assert "Admin A" in page


def test_unapproved_orderer_orders_are_held_then_released(
    app, client, world, login_as, catalog, mail_server
):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.user(
            customer=customer,
            roles=[RoleName.ORDERER],
            email="new@example.com",
            status=UserStatus.PENDING_APPROVAL,
        )
        db.session.commit()
    login_as("new@example.com")
    order_id = _draft(client, catalog)
    _fill(client, order_id, care_units=[str(catalog["unit_ids"][0])])
    response = _submit(client, order_id)
    assert "held until an administrator approves you" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    deliver(app)
    assert mail_server.to(world.a.attestant_email) == []
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.HELD
        from adminapp.services.orderers import approve_orderer

        approve_orderer(order.orderer, actor=Actor(user=db.session.get(User, world.a.admin_id)))
        db.session.commit()
        assert db.session.get(Order, order_id).status == OrderStatus.AWAITING_ATTESTATION
    deliver(app)
    assert len(mail_server.to(world.a.attestant_email)) == 1


def test_orderer_cancels_until_attested(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    _fill(orderer_a, order_id, care_units=[str(catalog["unit_ids"][0])])
    _submit(orderer_a, order_id)
    url = f"/portal/order/{order_id}"
    orderer_a.post(url + "/cancel", data={"csrf_token": _token(orderer_a, url)})
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.CANCELLED and order.cancelled_at
        order.status = OrderStatus.ATTESTED
        db.session.commit()
    response = orderer_a.post(
        url + "/cancel", data={"csrf_token": _token(orderer_a, url)}, follow_redirects=True
    )
    assert "can no longer be cancelled" in response.get_data(as_text=True)


def test_orders_of_others_are_not_reachable(app, client, world, login_as, catalog):
    login_as(world.b.orderer_email)
    assert client.get(f"/portal/order/{world.a.order_id}").status_code == 404
    assert client.get(f"/portal/order/{world.a.order_id}/fill").status_code == 404


@pytest.mark.parametrize("start", list(OrderStatus))
def test_every_illegal_transition_is_refused(app, world, start):
    from models import ORDER_TRANSITIONS

    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        for target in OrderStatus:
            if target in ORDER_TRANSITIONS[start]:
                continue
            order = factories.order(orderer=orderer, status=start)
            with pytest.raises(TransitionRefused):
                move(order, target, actor=Actor.for_system("test"), action=AuditAction.UPDATE)
            db.session.refresh(order)
            assert order.status == start


def test_staff_filter_orders_by_status_customer_service_and_date(app, client, world, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/orders/").get_data(as_text=True)
    for label in ("Status", "Customer", "Service", "Offering", "Created"):
        assert label in body


def test_customer_admin_sees_all_customer_orders_read_only(client, world, login_as):
    login_as(world.a.admin_email)
    body = client.get("/portal/orders/").get_data(as_text=True)
    assert "Orderer A" in body
    assert client.get(f"/portal/orders/edit/?id={world.a.order_id}").status_code == 302


def test_not_orderer_role_cannot_order(app, client, world, login_as, catalog):
    login_as(world.a.attestant_email)
    page = client.get("/portal/order/").get_data(as_text=True)
    assert "You do not have the orderer role" in page
    with app.app_context(), pytest.raises(NotAllowed):
        ordering.start_draft(
            db.session.get(Offering, catalog["offering_id"]),
            actor=Actor(user=db.session.get(User, world.a.attestant_id)),
        )
    assert Role and OutboxMessage


def test_staff_filter_orders_by_service(app, client, world, login_as, catalog):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        factories.order(
            orderer=orderer,
            offering_=db.session.get(Offering, catalog["offering_id"]),
            status=OrderStatus.AWAITING_ATTESTATION,
        )
        db.session.commit()
    view = next(
        v for v in app.extensions["kundportal_admins"]["staff"]._views if v.endpoint == "orders"
    )
    key = next(
        key
        for key, (_i, flt) in view._filter_args.items()
        if str(flt.name) == "Service" and str(flt.operation()) == "equals"
    )
    login_as(world.staff_email)
    body = client.get(f"/admin/orders/?flt0_{key}=Webbtidbok").get_data(as_text=True)
    assert "Webbtidbok standard" in body
    assert "Offering A" not in body and "Offering B" not in body


def test_an_attestant_who_has_not_accepted_the_invitation_is_named(app, client, world, login_as):
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.status = UserStatus.INVITED  # given the role, invitation not accepted yet
        db.session.commit()
    login_as(world.a.orderer_email)
    page = client.get("/portal/order/").get_data(as_text=True)
    assert "Attestant A will attest the orders of Customer A but has not accepted" in page
    assert "give someone the Attestant role" not in page


def test_the_fill_step_tells_every_error_at_once(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    response = _fill(orderer_a, order_id, field_go_live="", field_users="many", field_plan="")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = body[body.index("error-summary") : body.index("</ul>", body.index("error-summary"))]
    for message in (
        "Choose the care units to connect.",
        "Go-live date is required.",
        "Number of users must be a number.",
        "Plan is required.",
    ):
        assert message in summary, message
    assert 'href="#care_units"' in summary and 'href="#field_go_live"' in summary
    with app.app_context():
        assert db.session.get(Order, order_id).field_values == {}


def test_save_for_later_keeps_what_was_typed(app, orderer_a, catalog):
    order_id = _draft(orderer_a, catalog)
    response = _fill(
        orderer_a,
        order_id,
        field_go_live="",  # required, not typed yet
        field_users="about 20",  # not a number yet
        care_units=[str(catalog["unit_ids"][1])],
        note="Half done",
        save_for_later="1",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/portal/order/"
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.DRAFT
        assert order.field_values == {"users": "about 20", "plan": "Plus"}
        assert [u.care_unit_id for u in order.care_units] == [catalog["unit_ids"][1]]
        assert order.note == "Half done"
    page = orderer_a.get(f"/portal/order/{order_id}/fill").get_data(as_text=True)
    assert 'value="about 20"' in page and "Half done" in page
    # Going on checks it all.
    response = _fill(orderer_a, order_id, field_go_live="", field_users="about 20")
    assert "Go-live date is required." in response.get_data(as_text=True)
    # And a saved draft that is still wrong cannot be sent.
    refused = _submit(orderer_a, order_id)
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.DRAFT
    assert refused.status_code in (200, 302)


def test_an_admin_adds_a_care_unit_and_an_orderer_orders_for_it(app, client, world, login_as):
    with app.app_context():
        offering = factories.offering(
            service_=factories.service(name="Journalkoppling"),
            name="Koppling",
            needs_care_units=True,
            several_care_units=False,
        )
        db.session.commit()
        offering_id, service_id = offering.id, offering.service_id
    login_as(world.a.admin_email)
    token = _token(client, "/portal/care-units/new/")
    response = client.post(
        "/portal/care-units/new/",
        data={"csrf_token": token, "hsa_id": "SE2321000016-1001", "name": "Vårdcentralen Norr"},
        follow_redirects=True,
    )
    assert "The care unit Vårdcentralen Norr (SE2321000016-1001) is added." in response.text
    with app.app_context():
        unit = db.session.scalar(select(factories.CareUnit).filter_by(hsa_id="SE2321000016-1001"))
        assert unit.customer_id == world.a.customer_id
        unit_id = unit.id
    client.post("/logout", data={"csrf_token": _token(client, "/portal/")})
    login_as(world.a.orderer_email)
    order_id = _draft(client, {"service_id": service_id, "offering_id": offering_id})
    fill = client.get(f"/portal/order/{order_id}/fill").get_data(as_text=True)
    assert "Vårdcentralen Norr (SE2321000016-1001)" in fill
    response = client.post(
        f"/portal/order/{order_id}/fill",
        data={"csrf_token": csrf_token_from(fill), "care_units": str(unit_id), "note": ""},
    )
    assert response.status_code == 302
    assert _submit(client, order_id).status_code == 302
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.AWAITING_ATTESTATION
        assert [(u.hsa_id, u.name) for u in order.care_units] == [
            ("SE2321000016-1001", "Vårdcentralen Norr")
        ]


def test_the_history_names_who_really_acted(app, orderer_a, world, catalog):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        admin = db.session.get(User, world.a.admin_id)
        order = ordering.start_draft(
            db.session.get(Offering, catalog["offering_id"]),
            actor=Actor(user=orderer, real_user=admin),  # the admin switched to the orderer
        )
        db.session.commit()
        order_id = order.id
    page = orderer_a.get(f"/portal/order/{order_id}").get_data(as_text=True)
    assert "Started by Orderer A (really Admin A)" in page
