"""One person in several organisations (issue 17, parts 1–3): one login, a membership per
customer with its own roles and status; the person works for one organisation at a time,
chooses it in the menu, and lands where they chose last. Tenant isolation with such a person
is in tests/test_tenancy.py (its `admin_a` runs as this person too)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from adminapp.services import attestation, users
from adminapp.services.audit import Actor
from models import (
    AuditAction,
    AuditEvent,
    CreatedVia,
    Customer,
    Order,
    OrderStatus,
    OutboxMessage,
    Person,
    RoleName,
    User,
    UserStatus,
    db,
)

from . import factories
from .conftest import csrf_token_from, login
from .test_bankid_login import _give_personal_number, _start, _through_bankid
from .test_onboarding_signing import _approved


def join(app, world, user_id: int, customer_id: int, roles=(RoleName.ADMIN,)) -> int:
    """User `user_id`'s person joins customer `customer_id` (as staff add them); the new
    membership's id. Where their next login lands stays where it was."""
    with app.app_context():
        existing = db.session.get(User, user_id)
        staff = db.session.get(User, world.staff_id)
        membership = users.add_membership(
            existing,
            db.session.get(Customer, customer_id),
            roles=roles,
            actor=Actor(user=staff),
            created_via=CreatedVia.STAFF,
        )
        existing.person.chosen_user_id = existing.id
        db.session.commit()
        return membership.id


@pytest.fixture
def two_orgs(app, world):
    """Admin A is also an attestant of customer B; their B membership's id."""
    return join(app, world, world.a.admin_id, world.b.customer_id, roles=(RoleName.ATTESTANT,))


def _choose(client, membership_id, page="/portal/"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post("/organisation", data={"csrf_token": token, "membership": membership_id})


def _menu(html: str) -> list[str]:
    picker = re.search(r'<select id="organisation-choice".*?</select>', html, re.S)
    return re.findall(r">([^<]+)</option>", picker.group(0)) if picker else []


def test_a_membership_is_the_same_person_with_roles_of_its_own(app, world, two_orgs):
    with app.app_context():
        in_a = db.session.get(User, world.a.admin_id)
        in_b = db.session.get(User, two_orgs)
        assert in_a.person_id == in_b.person_id
        assert (in_b.customer_id, in_b.email, in_b.password_hash) == (
            world.b.customer_id,
            in_a.email,
            in_a.password_hash,
        )
        assert in_a.role_names == {RoleName.ADMIN} and in_b.role_names == {RoleName.ATTESTANT}
        assert in_b.status == UserStatus.ACTIVE  # logs in already: no invitation
        mails = db.session.scalars(
            select(OutboxMessage).filter_by(recipient=world.a.admin_email)
        ).all()
        assert [m.template for m in mails] == ["membership_added"]
        assert "Customer B" in mails[0].body_text and "Attestant" in mails[0].body_text


def test_the_menu_offers_each_organisation_and_choosing_changes_what_shows(
    app, client, world, two_orgs
):
    login(client, world.a.admin_email)
    home = client.get("/portal/").get_data(as_text=True)
    assert _menu(home) == ["Customer A", "Customer B"]
    assert "Orderer A" in client.get("/portal/users/").get_data(as_text=True)

    response = _choose(client, two_orgs)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    home_b = client.get("/portal/").get_data(as_text=True)
    assert "You now work for Customer B." in home_b
    # In B the person is an attestant only: B's orders, not A's; no user administration.
    orders = client.get("/portal/orders/").get_data(as_text=True)
    assert "Offering B" in orders and "Offering A" not in orders
    assert client.get("/portal/users/").status_code in (302, 403)
    details = client.get(f"/portal/orders/details/?id={world.a.order_id}", follow_redirects=True)
    assert "Offering A" not in details.get_data(as_text=True)
    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).filter_by(action=AuditAction.CHOOSE_ORGANISATION)
        ).all()
        assert event.object_id == two_orgs and event.changes == {
            "from": "Customer A",
            "to": "Customer B",
        }
        assert db.session.get(Person, db.session.get(User, two_orgs).person_id).chosen_user_id == (
            two_orgs
        )

    # Back to A: its users again.
    _choose(client, world.a.admin_id)
    assert "Orderer A" in client.get("/portal/users/").get_data(as_text=True)


def test_the_next_login_lands_where_the_person_chose_last(app, client, world, two_orgs):
    login(client, world.a.admin_email)
    _choose(client, two_orgs)
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login(client, world.a.admin_email)
    assert "Offering B" in client.get("/portal/orders/").get_data(as_text=True)
    assert _menu(client.get("/portal/").get_data(as_text=True)) == ["Customer A", "Customer B"]


def test_a_guessed_membership_is_refused_and_nothing_changes(app, client, world, two_orgs):
    login(client, world.a.admin_email)
    for guess in (world.b.admin_id, world.b.orderer_id, world.staff_id, 999, "x", ""):
        response = _choose(client, guess)
        assert response.status_code == 302
        page = client.get("/portal/").get_data(as_text=True)
        assert "You are not a member of that organisation." in page, guess
        assert "Admin A" in page  # still themselves, in A
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .filter_by(action=AuditAction.CHOOSE_ORGANISATION)
            )
            == 0
        )


def test_someone_with_one_organisation_has_no_menu(client, world, two_orgs):
    login(client, world.b.admin_email)
    assert _menu(client.get("/portal/").get_data(as_text=True)) == []


def test_a_deactivated_membership_leaves_the_others(app, client, world, two_orgs):
    with app.app_context():
        admin_b = db.session.get(User, world.b.admin_id)
        users.deactivate_user(db.session.get(User, two_orgs), actor=Actor(user=admin_b))
        db.session.commit()
        assert db.session.get(User, world.a.admin_id).status == UserStatus.ACTIVE
    login(client, world.a.admin_email)
    page = client.get("/portal/").get_data(as_text=True)
    assert "Admin A" in page and _menu(page) == []
    assert _choose(client, two_orgs).status_code == 302
    assert "You are not a member" in client.get("/portal/").get_data(as_text=True)


def test_a_login_lands_in_an_active_membership_when_the_chosen_one_is_not(
    app, client, world, two_orgs
):
    with app.app_context():
        person = db.session.get(User, two_orgs).person
        person.chosen_user_id = two_orgs
        db.session.get(User, two_orgs).status = UserStatus.DISABLED
        db.session.commit()
    login(client, world.a.admin_email)
    assert "Orderer A" in client.get("/portal/users/").get_data(as_text=True)


def test_the_persons_own_details_are_the_same_everywhere(app, client, world, two_orgs):
    # A new password, set once, logs in to both organisations.
    login(client, world.a.admin_email)
    page = client.get("/account/").get_data(as_text=True)
    client.post(
        "/account/",
        data={
            "csrf_token": csrf_token_from(page),
            "pw-current": factories.PASSWORD,
            "pw-password": "a-brand-new-passphrase",
            "pw-confirm": "a-brand-new-passphrase",
        },
    )
    with app.app_context():
        hashes = {db.session.get(User, i).password_hash for i in (world.a.admin_id, two_orgs)}
        assert len(hashes) == 1
    other = app.test_client()
    assert login(other, world.a.admin_email, "a-brand-new-passphrase").status_code == 302
    assert _choose(other, two_orgs).status_code == 302
    assert "Offering B" in other.get("/portal/orders/").get_data(as_text=True)

    # The language chosen in B is theirs in A too (their emails come in it).
    token = csrf_token_from(other.get("/portal/").get_data(as_text=True))
    other.post("/language", data={"csrf_token": token, "language": "nb", "next": "/portal/"})
    with app.app_context():
        assert {db.session.get(User, i).locale for i in (world.a.admin_id, two_orgs)} == {"nb"}


def test_one_organisations_admin_cannot_change_the_persons_details(app, client, world, login_as):
    # The person is an orderer in B: B's admin edits the B membership.
    in_b = join(app, world, world.a.attestant_id, world.b.customer_id, roles=(RoleName.ORDERER,))
    login_as(world.b.admin_email)
    url = f"/portal/users/edit/?id={in_b}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "name": "Renamed by B",
            "email": "elsewhere@example.com",
            "phone": "",
            "role_names": ["orderer"],
        },
    )
    body = response.get_data(as_text=True)
    assert "also belongs to another organisation" in body
    with app.app_context():
        for user_id in (world.a.attestant_id, in_b):
            user = db.session.get(User, user_id)
            assert (user.name, user.email) == ("Attestant A", world.a.attestant_email)
    # Their roles in B are B's to change.
    page = client.get(url).get_data(as_text=True)
    client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "name": "Attestant A",
            "email": world.a.attestant_email,
            "phone": "",
            "role_names": ["orderer", "attestant"],
        },
    )
    with app.app_context():
        assert db.session.get(User, in_b).role_names == {RoleName.ORDERER, RoleName.ATTESTANT}
        assert db.session.get(User, world.a.attestant_id).role_names == {RoleName.ATTESTANT}


def test_logging_out_ends_every_session_of_the_person(app, world, two_orgs):
    in_a, in_b = app.test_client(), app.test_client()
    login(in_a, world.a.admin_email)
    login(in_b, world.a.admin_email)
    _choose(in_b, two_orgs)
    assert in_b.get("/portal/").status_code == 200
    token = csrf_token_from(in_a.get("/portal/").get_data(as_text=True))
    in_a.post("/logout", data={"csrf_token": token})
    assert in_b.get("/portal/").status_code == 302  # to the login page


def test_the_attestant_of_one_organisation_attests_nothing_of_another(
    app, client, world, login_as, two_orgs
):
    # Admin A's person attests in B, not in A; A's attestant is not B's.
    with app.app_context():
        order_a = factories.order(
            orderer=db.session.get(User, world.a.orderer_id),
            status=OrderStatus.AWAITING_ATTESTATION,
        )
        db.session.commit()
        order_a_id = order_a.id
    login_as(world.a.admin_email)
    # In A the person administers: attesting is not theirs there.
    assert client.get(f"/portal/attest/{order_a_id}").status_code in (302, 403)
    _choose(client, two_orgs)
    queue = client.get("/portal/attest/").get_data(as_text=True)
    assert "Offering A" not in queue
    page = client.get(f"/portal/attest/{order_a_id}", follow_redirects=True)
    assert "No such order." in page.get_data(as_text=True)
    token = csrf_token_from(client.get("/portal/attest/").get_data(as_text=True))
    started = client.post(
        f"/portal/attest/{order_a_id}/attest",
        data={"csrf_token": token, "a-method": "sms"},
        follow_redirects=True,
    )
    assert "/challenge/" not in started.request.path
    with app.app_context():
        assert db.session.get(Order, order_a_id).status == OrderStatus.AWAITING_ATTESTATION
        queue_b = attestation.orders_to_attest(db.session.get(User, two_orgs))
        assert order_a_id not in {o.id for o in queue_b}
        assert all(o.customer_id == world.b.customer_id for o in queue_b)


def test_an_application_naming_a_person_adds_a_membership(app, world):
    # B's orderer applies for a new organisation and is its administrator: no refusal, no
    # invitation; they are told, and the new organisation is in their menu.
    signing = _approved(app, world, admin_email=world.b.orderer_email)
    with app.app_context():
        rows = db.session.scalars(select(User).filter_by(customer_id=signing.customer_id)).all()
        (admin,) = [u for u in rows if u.has_role(RoleName.ADMIN)]
        orderer_b = db.session.get(User, world.b.orderer_id)
        assert admin.person_id == orderer_b.person_id and admin.role_names == {RoleName.ADMIN}
        assert admin.status == UserStatus.ACTIVE
        templates = db.session.scalars(
            select(OutboxMessage.template).filter_by(recipient=world.b.orderer_email)
        ).all()
        assert "membership_added" in templates and "invitation" not in templates
    client = app.test_client()
    login(client, world.b.orderer_email)
    assert _menu(client.get("/portal/").get_data(as_text=True)) == sorted(
        ["Customer B", signing.customer_name]
    )


def test_a_password_login_does_not_reach_an_organisation_on_eid_only(
    app, client, world, two_orgs, bankid
):
    with app.app_context():
        db.session.get(Customer, world.b.customer_id).eid_only = True
        db.session.commit()
    _give_personal_number(app, world.a.admin_id, bankid.person.personal_number)
    login(client, world.a.admin_email)
    assert _choose(client, two_orgs).status_code == 302
    page = client.get("/portal/").get_data(as_text=True)
    assert "Customer B logs in with e-ID only" in page and "Admin A" in page

    # Logged in with BankID, the person reaches B.
    bankid_client = app.test_client()
    done = _through_bankid(bankid_client, _start(bankid_client))
    bankid_client.get(done)
    assert _choose(bankid_client, two_orgs).status_code == 302
    assert "Offering B" in bankid_client.get("/portal/orders/").get_data(as_text=True)


def test_bankid_finds_the_person_not_two_accounts(app, client, world, two_orgs, bankid):
    _give_personal_number(app, world.a.admin_id, bankid.person.personal_number)
    with app.app_context():  # the personal number is the person's: both rows have it
        assert db.session.get(User, two_orgs).personal_number == bankid.person.personal_number
    done = _through_bankid(client, _start(client))
    assert client.get(done).status_code == 302
    assert _menu(client.get("/portal/").get_data(as_text=True)) == ["Customer A", "Customer B"]


def test_the_orderer_sharing_the_admins_email_stays_reached_by_switching(
    app, client, world, login_as, two_orgs
):
    # Seed no-bestillere: admin A makes an orderer with their own email; it is no login.
    login_as(world.a.admin_email)
    page = client.get("/portal/orderers/new/").get_data(as_text=True)
    client.post(
        "/portal/orderers/new/",
        data={
            "csrf_token": csrf_token_from(page),
            "name": "Admin A ordering",
            "email": world.a.admin_email,
        },
    )
    with app.app_context():
        shared = db.session.scalars(select(User).filter_by(shares_email=True)).one()
        assert shared.person_id is None and shared.customer_id == world.a.customer_id
        shared_id = shared.id
    assert _menu(client.get("/portal/").get_data(as_text=True)) == ["Customer A", "Customer B"]
    assert _choose(client, shared_id).status_code == 302
    assert "You are not a member" in client.get("/portal/").get_data(as_text=True)


def test_staff_see_the_persons_organisations(app, client, world, login_as, two_orgs):
    login_as(world.staff_email)
    page = client.get(f"/admin/users/details/?id={world.a.admin_id}").get_data(as_text=True)
    assert "Admin A’s organisations" in page
    assert f"/admin/users/details/?id={two_orgs}" in page and "Customer B" in page
    assert "Attestant" in page
