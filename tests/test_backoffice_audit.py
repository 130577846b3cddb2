"""Every create, edit and delete made through the back office writes an audit event."""

from sqlalchemy import select, text

from models import AuditEvent, Customer, Order, OrderStatus, Service, User, db

from . import factories
from .conftest import csrf_token_from


def _events(app, **where):
    with app.app_context():
        query = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        return list(db.session.scalars(query))


def _form_token(client, url):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_create_customer_is_audited(app, client, world, login_as):
    login_as(world.staff_email)
    token = _form_token(client, "/admin/customers/new/")
    response = client.post(
        "/admin/customers/new/",
        data={
            "csrf_token": token,
            "name": "New Customer AB",
            "country": "SE",
            "org_number": "559000-1235",
            "address_line": "Gatan 1",
            "postal_code": "111 11",
            "city": "Stockholm",
            "invoice_reference": "REF-1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        customer = db.session.scalar(select(Customer).filter_by(name="New Customer AB"))
        assert customer.org_number == "5590001235"  # stored as digits
        assert customer.status == "awaiting_signature"  # until its agreement is signed
    events = _events(app, object_type="Customer", action="create")
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == world.staff_id
    assert event.real_actor_id is None
    assert event.customer_id == customer.id
    assert event.object_id == customer.id
    assert event.changes["name"] == [None, "New Customer AB"]


def test_invalid_org_number_is_refused_with_a_message(app, client, world, login_as):
    login_as(world.staff_email)
    token = _form_token(client, "/admin/customers/new/")
    response = client.post(
        "/admin/customers/new/",
        data={
            "csrf_token": token,
            "name": "Bad AB",
            "country": "SE",
            "org_number": "559000-1234",
            "status": "awaiting_signature",
        },
        follow_redirects=True,
    )
    assert "wrong check digit" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Customer).filter_by(name="Bad AB")) is None
    assert _events(app, object_type="Customer", action="create") == []


def test_edit_user_records_what_changed(app, client, world, login_as):
    login_as(world.staff_email)
    url = f"/admin/users/edit/?id={world.a.orderer_id}"
    token = _form_token(client, url)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "Renamed Orderer",
            "email": world.a.orderer_email,
            "phone": "070-123 45 67",
            "role_names": ["orderer"],
            "locale": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, world.a.orderer_id)
        assert user.name == "Renamed Orderer"
        assert user.phone == "+46701234567"  # stored as E.164
        assert user.role_names == {"orderer"}
    (event,) = _events(app, object_type="User", action="update")
    assert event.object_id == world.a.orderer_id
    assert event.customer_id == world.a.customer_id
    assert event.changes["name"] == ["Orderer A", "Renamed Orderer"]
    assert "password_hash" not in event.changes


def test_duplicate_email_is_refused_on_the_form(app, client, world, login_as):
    login_as(world.staff_email)
    url = f"/admin/users/edit/?id={world.a.orderer_id}"
    token = _form_token(client, url)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "Orderer A",
            "email": world.b.admin_email,
            "role_names": ["orderer"],
            "locale": "en",
        },
        follow_redirects=True,
    )
    assert "A user with this email already exists." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id).email == world.a.orderer_email
    assert _events(app, object_type="User", action="update") == []


def test_delete_is_audited_with_a_snapshot(app, client, world, login_as):
    with app.app_context():
        service = factories.service(name="Doomed service")
        db.session.commit()
        service_id = service.id
    login_as(world.staff_email)
    token = _form_token(client, "/admin/services/")
    response = client.post("/admin/services/delete/", data={"csrf_token": token, "id": service_id})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Service, service_id) is None
    (event,) = _events(app, object_type="Service", action="delete")
    assert event.object_id == service_id
    assert event.changes["name"] == "Doomed service"


def test_submitted_order_cannot_be_deleted(app, client, world, login_as):
    with app.app_context():
        order = db.session.get(Order, world.a.order_id)
        order.status = OrderStatus.AWAITING_ATTESTATION
        db.session.commit()
    login_as(world.staff_email)
    token = _form_token(client, "/admin/orders/")
    response = client.post(
        "/admin/orders/delete/",
        data={"csrf_token": token, "id": world.a.order_id},
        follow_redirects=True,
    )
    assert "Only draft or cancelled orders may be deleted" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, world.a.order_id) is not None
    assert _events(app, object_type="Order", action="delete") == []


def test_the_edit_form_does_not_move_the_customer_status(app, client, world, login_as):
    # The status moves by its workflows only (agreement, suspend, reactivate).
    login_as(world.staff_email)
    url = f"/admin/customers/edit/?id={world.a.customer_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="status"' not in page
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        data = {
            "csrf_token": csrf_token_from(page),
            "name": customer.name,
            "country": "SE",
            "org_number": customer.org_number,
            "status": "suspended",  # forged
        }
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).status == "active"


def test_audit_trail_cannot_be_edited_or_deleted(app, client, world, login_as):
    login_as(world.staff_email)
    (event,) = _events(app, action="login")
    token = _form_token(client, "/admin/audit_events/")
    assert client.get(f"/admin/audit_events/edit/?id={event.id}").status_code in (302, 403, 404)
    client.post("/admin/audit_events/delete/", data={"csrf_token": token, "id": event.id})
    client.post("/admin/audit_events/new/", data={"csrf_token": token, "action": "forged"})
    assert len(_events(app, action="login")) == 1
    with app.app_context():  # no such action exists, so look at the stored text itself
        forged = db.session.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'forged'"))
    assert forged == 0


def test_offering_terms_change_makes_a_new_version(app, client, world, login_as):
    login_as(world.staff_email)
    url = f"/admin/offerings/edit/?id={world.a.offering_id}"
    token = _form_token(client, url)
    with app.app_context():
        offering = db.session.get(factories.Offering, world.a.offering_id)
        data = {
            "csrf_token": token,
            "service": str(offering.service_id),
            "name": offering.name,
            "startup_fee": "1000.00",
            "recurring_fee": "100.00",
            "recurring_period": "month",
            "currency": "SEK",
            "terms_text": "New terms.",
            "active": "y",
        }
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(factories.Offering, world.a.offering_id).terms_version == 2
