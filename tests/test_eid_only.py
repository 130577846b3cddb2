"""A customer on e-ID only (issue "Log in with e-ID", part 3): its admin turns it on in
Settings, every user's password goes, passwords log nobody in, invitations offer BankID only,
and staff see the setting."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditAction, AuditEvent, Customer, OutboxMessage, User, db

from .conftest import csrf_token_from, login, open_link
from .test_bankid_login import _give_personal_number, _invited, _start, _through_bankid


def _turn_on(client):
    page = client.get("/portal/settings/").get_data(as_text=True)
    assert "e-ID only" in page
    return client.post(
        "/portal/settings/", data={"csrf_token": csrf_token_from(page), "eid_only": "y"}
    )


def test_the_admin_turns_on_eid_only_and_passwords_go(app, client, world, login_as, bankid):
    _give_personal_number(app, world.a.admin_id, "198502143459")
    _give_personal_number(app, world.a.attestant_id, bankid.person.personal_number)
    login_as(world.a.admin_email)
    response = _turn_on(client)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).eid_only is True
        a_users = db.session.scalars(select(User).filter_by(customer_id=world.a.customer_id))
        assert [u.password_hash for u in a_users] == [None] * 3
        assert db.session.get(User, world.b.orderer_id).password_hash is not None  # B keeps
        event = db.session.scalars(
            select(AuditEvent)
            .filter_by(action=AuditAction.UPDATE, object_type="Customer")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event.changes["eid_only"] == [False, True]
        assert event.changes["passwords_removed"] == 3
    # A password logs nobody in; BankID does.
    assert login(app.test_client(), world.a.orderer_email).status_code == 200
    assert login(app.test_client(), world.b.orderer_email).status_code == 302
    browser = app.test_client()
    assert browser.get(_through_bankid(browser, _start(browser))).headers["Location"] == (
        "/portal/"
    )


def test_an_admin_without_a_personal_number_cannot_lock_themselves_out(
    app, client, world, login_as
):
    login_as(world.a.admin_email)
    response = _turn_on(client)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Add your personal number under My account first" in body
    assert 'aria-invalid="true"' in body or "is-invalid" in body
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).eid_only is False
        assert db.session.get(User, world.a.orderer_id).password_hash is not None


def _set_eid_only(app, world):
    with app.app_context():
        db.session.get(Customer, world.a.customer_id).eid_only = True
        db.session.commit()


def test_an_invitation_of_an_eid_only_customer_offers_bankid_only(app, client, world):
    _set_eid_only(app, world)
    user_id, link = _invited(app, world)
    page_url = open_link(client, link)
    page = client.get(page_url).get_data(as_text=True)
    assert "logs in with e-ID only" in page
    assert "Verify with BankID instead" in page and 'name="password"' not in page
    # A password sent anyway is refused.
    refused = client.post(
        page_url,
        data={
            "csrf_token": csrf_token_from(page),
            "password": "a-long-enough-password",
            "confirm": "a-long-enough-password",
        },
    )
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).password_hash is None


def test_no_password_reset_for_eid_only_users(app, client, world):
    _set_eid_only(app, world)
    page = client.get("/password/forgot").get_data(as_text=True)
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token_from(page), "email": world.a.orderer_email},
    )
    with app.app_context():
        assert (
            db.session.scalar(
                select(OutboxMessage).filter_by(
                    recipient=world.a.orderer_email, template="password_reset"
                )
            )
            is None
        )


def test_staff_see_the_setting(app, client, world, login_as):
    _set_eid_only(app, world)
    login_as(world.staff_email)
    page = client.get("/admin/customers/").get_data(as_text=True)
    assert "e-ID only" in page
    details = client.get(f"/admin/customers/details/?id={world.a.customer_id}")
    assert "e-ID only" in details.get_data(as_text=True)
