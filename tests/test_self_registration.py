"""Self-registration as orderer: choose a customer, confirm the email, wait for approval."""

import re

import pytest
from sqlalchemy import select

from models import CustomerStatus, OrderStatus, RoleName, User, UserStatus, db

from . import factories
from .conftest import csrf_token_from, deliver, login, open_link

PASSWORD = "registered-orderer-pass"


def _register(client, customer_id, **overrides):
    url = f"/register/{customer_id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "name": "Rita Registrant",
        "email": "rita@example.com",
        "phone": "070-555 66 77",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }
    return client.post(url, data=data)


def _confirm(client, link):
    path = open_link(client, link.replace("http://portal.test", ""))
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def test_search_finds_only_active_customers_by_name_or_number(app, client, world):
    with app.app_context():
        factories.customer(name="Sleeping Clinic", status=CustomerStatus.AWAITING_SIGNATURE)
        factories.customer(name="Suspended Clinic", status=CustomerStatus.SUSPENDED)
        org_number = db.session.get(factories.Customer, world.a.customer_id).org_number
        db.session.commit()
    body = client.get("/register/?q=Customer").get_data(as_text=True)
    assert "Customer A" in body and "Customer B" in body
    body = client.get("/register/?q=Clinic").get_data(as_text=True)
    assert "Sleeping Clinic" not in body and "Suspended Clinic" not in body
    body = client.get(f"/register/?q={org_number[:6]}-{org_number[6:]}").get_data(as_text=True)
    assert "Customer A" in body
    assert "Customer A" not in client.get("/register/?q=Cu").get_data(as_text=True)  # too short


def test_registration_confirm_and_every_admin_is_told(app, client, world, mail_server):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.user(customer=customer, roles=[RoleName.ADMIN], email="admin2.a@example.com")
        db.session.commit()
    response = _register(client, world.a.customer_id)
    assert response.status_code == 302
    deliver(app)
    (confirm,) = mail_server.to("rita@example.com")
    assert confirm.subject == "Confirm your email address for Kundportal"
    assert mail_server.to(world.a.admin_email) == []  # not before the email is confirmed
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="rita@example.com"))
        assert user.status == UserStatus.UNCONFIRMED and not user.is_approved
        assert user.customer_id == world.a.customer_id
        assert [r.name for r in user.roles] == [RoleName.ORDERER]
        assert user.phone == "+46705556677"
    assert login(app.test_client(), "rita@example.com", PASSWORD).status_code == 200  # not yet

    link = re.search(r"http://portal\.test/register/confirm/\S+", confirm.text).group(0)
    page = client.get(link.replace("http://portal.test", ""), follow_redirects=True)
    assert "Confirm my email address" in page.get_data(as_text=True)  # a GET changes nothing
    with app.app_context():
        assert db.session.scalar(select(User.status).filter_by(email="rita@example.com")) == (
            UserStatus.UNCONFIRMED
        )
    assert _confirm(client, link).status_code == 200
    deliver(app)
    for admin in (world.a.admin_email, "admin2.a@example.com"):
        (notice,) = mail_server.to(admin)
        assert notice.subject == "New orderer to approve: Rita Registrant"
        assert "http://portal.test/portal/orderers/" in notice.text
    assert mail_server.to(world.b.admin_email) == []
    with app.app_context():
        assert db.session.scalar(select(User.status).filter_by(email="rita@example.com")) == (
            UserStatus.PENDING_APPROVAL
        )
    # Now the orderer may log in, marked as not approved.
    other = app.test_client()
    assert login(other, "rita@example.com", PASSWORD).status_code == 302
    assert "has not approved you yet" in other.get("/portal/").get_data(as_text=True)
    assert _confirm(client, link).status_code == 410  # the link is spent


@pytest.mark.parametrize("taken", ["a_admin", "a_orderer", "b_attestant"])
def test_self_registration_may_not_use_an_email_in_use(app, client, world, taken):
    email = {
        "a_admin": world.a.admin_email,
        "a_orderer": world.a.orderer_email,
        "b_attestant": world.b.attestant_email,
    }[taken]
    response = _register(client, world.a.customer_id, email=email)
    assert response.status_code == 200
    assert "already in use" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(User).filter_by(email=email)).all()) == 1


def test_self_registration_may_not_use_a_shared_orderer_email(app, client, world):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.user(
            customer=customer,
            roles=[RoleName.ORDERER],
            email="shared@example.com",
            shares_email=True,
            password=None,
        )
        db.session.commit()
    response = _register(client, world.a.customer_id, email="shared@example.com")
    assert "already in use" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"email": "rita@"}, "Enter a valid email address."),
        ({"phone": "abc"}, "Enter a valid phone number."),
        ({"password": "short", "confirm": "short"}, "Use at least 12 characters."),
        ({"confirm": "something-else-entirely"}, "The passwords differ."),
    ],
)
def test_bad_registration_input(app, client, world, overrides, message):
    response = _register(client, world.a.customer_id, **overrides)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(name="Rita Registrant")) is None


def test_unknown_or_inactive_customer_is_not_offered(app, client):
    with app.app_context():
        sleeping = factories.customer(status=CustomerStatus.AWAITING_SIGNATURE)
        db.session.commit()
        sleeping_id = sleeping.id
    assert client.get(f"/register/{sleeping_id}").status_code == 404
    assert client.get("/register/999999").status_code == 404


@pytest.mark.config(RATELIMIT_ENABLED=True, REGISTRATION_RATE_LIMIT="2 per hour")
def test_registration_is_rate_limited_per_ip(app, client, world):
    statuses = [
        _register(client, world.a.customer_id, email=f"r{i}@example.com").status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_pending_orderers_orders_stay_held_until_approval(app, world):
    from adminapp.services.audit import Actor
    from adminapp.services.orderers import approve_orderer

    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        pending = factories.user(
            customer=customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
        )
        held = factories.order(orderer=pending, status=OrderStatus.HELD)
        draft = factories.order(orderer=pending, status=OrderStatus.DRAFT)
        approve_orderer(pending, actor=Actor(user=db.session.get(User, world.a.admin_id)))
        db.session.commit()
        assert held.status == OrderStatus.AWAITING_ATTESTATION
        assert draft.status == OrderStatus.DRAFT
