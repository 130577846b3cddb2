"""Staff approve or reject applications (seed sv step 1.1-1.2): the customer, its admin and its
agreement in one transaction, the three emails, no double approval; paper agreements; may_order.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from adminapp.errors import TransitionRefused
from adminapp.services import agreement_texts, customers, onboarding
from adminapp.services.audit import Actor
from models import (
    Agreement,
    AgreementStatus,
    AgreementText,
    ApplicationStatus,
    AuditEvent,
    CreatedVia,
    Customer,
    CustomerApplication,
    CustomerStatus,
    OutboxMessage,
    RoleName,
    SignatureMethod,
    User,
    UserStatus,
    db,
)

from . import factories
from .conftest import csrf_token_from, deliver, login, open_link

LINK = r"http://portal\.test/\S+"


def _subject(mail) -> str:
    # Flask-Mail folds a long ASCII subject right after "Subject:", so it arrives with the
    # fold's leading space (mail readers do not show it).
    return mail.subject.strip()


@pytest.fixture
def staff(client, world, login_as):
    login_as(world.staff_email)
    return client


def _application(app, **kw) -> int:
    with app.app_context():
        application = factories.application(**kw)
        db.session.commit()
        return application.id


def _action(client, view, action, *ids, follow=True):
    token = csrf_token_from(client.get(f"/admin/{view}/").get_data(as_text=True))
    return client.post(
        f"/admin/{view}/action/",
        data={"csrf_token": token, "action": action, "rowid": [str(i) for i in ids]},
        follow_redirects=follow,
    )


def _count(app, model, **where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def _path(link: str) -> str:
    return link.replace("http://portal.test", "")


def test_approval_creates_customer_admin_contact_agreement_and_its_emails(
    app, staff, world, mail_server
):
    application_id = _application(app, signatory_personal_number="199001012385")
    response = _action(staff, "applications", "approve", application_id)
    assert "1 application approved" in response.get_data(as_text=True)

    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        assert application.status == ApplicationStatus.APPROVED
        assert application.decided_by_id == world.staff_id and application.decided_at
        customer = application.customer
        assert customer.status == CustomerStatus.AWAITING_SIGNATURE
        assert (customer.name, customer.org_number, customer.city, customer.invoice_reference) == (
            application.name,
            application.org_number,
            "Stockholm",
            application.invoice_reference,
        )
        admin, contact = sorted(customer.users, key=lambda user: user.id)
        assert admin.email == application.admin_email and admin.name == "Alma Admin"
        # The contract contact: a login that reads (the contact role), invited likewise.
        assert contact.email == application.contract_email
        assert contact.role_names == {RoleName.CONTACT}
        assert contact.status == UserStatus.INVITED and contact.password_hash is None
        assert admin.role_names == {RoleName.ADMIN}
        assert admin.status == UserStatus.INVITED and admin.password_hash is None
        assert admin.created_via == CreatedVia.APPLICATION
        agreement = db.session.scalar(select(Agreement).filter_by(customer_id=customer.id))
        assert agreement.status == AgreementStatus.AWAITING_SIGNATURE
        assert agreement.text.version == 1 and agreement.application_id == application_id
        assert agreement.signatory_personal_number == "199001012385"
        emails = (application.admin_email, application.signatory_email, application.contract_email)
        actions = {
            (e.action, e.object_type)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.actor_id == world.staff_id)
            )
        }
        assert {
            ("approve", "CustomerApplication"),
            ("create", "Customer"),
            ("create", "User"),
            ("invite", "User"),
            ("create", "Agreement"),
        } <= actions
        customer_name, customer_id = customer.name, customer.id

    deliver(app)
    contract_email = emails[2]  # the information and the invitation
    assert sorted(m.rcpt_tos[0] for m in mail_server.received) == sorted([*emails, contract_email])
    admin_mail, signatory_mail = (mail_server.to(e)[0] for e in emails[:2])
    contract_mails = {_subject(m): m for m in mail_server.to(contract_email)}
    contract_mail = contract_mails[
        f"You are the contact for the customer agreement of {customer_name}"
    ]
    contact_invitation = contract_mails["Du är inbjuden till Kundportal"]
    assert "/password/set/" in contact_invitation.text
    # Administrator: the invitation to set a password and log in, in the customer's language
    # (a Swedish organisation's: Swedish).
    assert _subject(admin_mail) == "Du är inbjuden till Kundportal"
    invitation = re.search(LINK, admin_mail.text).group(0)
    assert "/password/set/" in invitation and invitation in admin_mail.html
    assert customer_name in admin_mail.text
    # Signatory: the link to read and sign the agreement.
    assert _subject(signatory_mail) == f"Sign the customer agreement of {customer_name}"
    signing = re.search(LINK, signatory_mail.text).group(0)
    assert "/sign/" in signing and signing in signatory_mail.html
    # Contract contact: the information, no link in it (the invitation brings the link).
    assert "Sigrid Signatory" in contract_mail.text and not re.search(LINK, contract_mail.text)
    assert "You also get an invitation to log in" in contract_mail.text

    # The signing link opens the agreement, with the customer's details and the text version.
    anonymous = app.test_client()
    page = anonymous.get(_path(signing), follow_redirects=True).get_data(as_text=True)
    assert customer_name in page and "version 1" in page and "Sign the agreement" in page

    # The administrator sets a password from the invitation and logs in, though the agreement
    # is not signed yet; users and roles can be set up, ordering waits.
    path = open_link(anonymous, _path(invitation))
    token = csrf_token_from(anonymous.get(path).get_data(as_text=True))
    done = anonymous.post(
        path,
        data={
            "csrf_token": token,
            "password": "alma-sets-up-users",
            "confirm": "alma-sets-up-users",
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/portal/"
    assert anonymous.get("/portal/users/").status_code == 200
    with app.app_context():
        allowed, reason = customers.may_order(db.session.get(Customer, customer_id))
    assert not allowed and "not signed yet" in reason


def test_approving_twice_creates_nothing_twice(app, staff, mail_server):
    application_id = _application(app)
    _action(staff, "applications", "approve", application_id)
    body = _action(staff, "applications", "approve", application_id).get_data(as_text=True)
    assert "is already approved" in body
    assert _count(app, Customer) == 3  # Customer A, Customer B and the new one
    assert _count(app, Agreement) == 1
    assert _count(app, User, created_via=CreatedVia.APPLICATION) == 2  # admin, contact
    assert _count(app, AuditEvent, action="approve") == 1
    deliver(app)
    assert len(mail_server.received) == 4  # the admin, the signatory, the contact person twice


def test_a_concurrent_approval_is_caught_by_the_conditional_update(app, world):
    """The other approver won after this one read the application: this one creates nothing,
    although the row it holds in memory still says "submitted"."""
    application_id = _application(app)
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        assert application.status == ApplicationStatus.SUBMITTED
        with db.engine.begin() as other:  # another process decides meanwhile
            other.execute(
                update(CustomerApplication)
                .where(CustomerApplication.id == application_id)
                .values(status=ApplicationStatus.APPROVED)
            )
        staff = db.session.get(User, world.staff_id)
        with pytest.raises(TransitionRefused, match="already approved"):
            onboarding.approve_application(application, actor=Actor(user=staff))
        db.session.rollback()
    assert _count(app, Agreement) == 0
    assert _count(app, Customer) == 2
    assert _count(app, OutboxMessage) == 0


def test_several_applications_are_approved_at_once(app, staff, mail_server):
    ids = [_application(app) for _ in range(2)]
    body = _action(staff, "applications", "approve", *ids).get_data(as_text=True)
    assert "2 applications approved" in body
    assert _count(app, Agreement) == 2
    assert _count(app, CustomerApplication, status=ApplicationStatus.APPROVED) == 2
    deliver(app)
    assert len(mail_server.received) == 8


def _reject(client, *ids, reason):
    response = _action(client, "applications", "reject", *ids, follow=False)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    token = csrf_token_from(body)
    ids_value = re.search(r'name="ids" value="([^"]*)"', body).group(1)
    return client.post(
        response.headers["Location"],
        data={"csrf_token": token, "ids": ids_value, "reason": reason},
        follow_redirects=True,
    )


def test_reject_with_a_reason_emails_the_administrator_contact(app, staff, mail_server):
    application_id = _application(app)
    body = _reject(staff, application_id, reason="Not a care provider.").get_data(as_text=True)
    assert "1 application rejected" in body
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        assert application.status == ApplicationStatus.REJECTED
        assert application.rejection_reason == "Not a care provider."
        admin_email, name = application.admin_email, application.name
        assert (
            db.session.scalar(select(AuditEvent).filter_by(action="reject")).changes[
                "rejection_reason"
            ]
            == "Not a care provider."
        )
    assert _count(app, Customer) == 2 and _count(app, Agreement) == 0
    deliver(app)
    (mail,) = mail_server.received
    assert mail.rcpt_tos == [admin_email]
    assert _subject(mail) == f"The customer application of {name} was not approved"
    assert "Not a care provider." in mail.text and "Not a care provider." in mail.html
    # Decided is decided: it can be neither approved nor rejected again.
    body = _action(staff, "applications", "approve", application_id).get_data(as_text=True)
    assert "was rejected" in body
    assert _count(app, Customer) == 2


def test_reject_needs_a_reason(app, staff):
    application_id = _application(app)
    body = _reject(staff, application_id, reason="  ").get_data(as_text=True)
    assert "This field is required." in body
    with app.app_context():
        assert db.session.get(CustomerApplication, application_id).status == (
            ApplicationStatus.SUBMITTED
        )
    assert _count(app, OutboxMessage) == 0


def test_details_page_approves_one_application(app, staff):
    application_id = _application(app, signatory_personal_number="199001012385")
    page = staff.get(f"/admin/applications/details/?id={application_id}").get_data(as_text=True)
    assert "19900101-****" in page and "199001012385" not in page  # masked
    token = csrf_token_from(page)
    staff.post(
        "/admin/applications/action/",
        data={"csrf_token": token, "action": "approve", "rowid": str(application_id)},
    )
    assert _count(app, CustomerApplication, status=ApplicationStatus.APPROVED) == 1


def test_an_administrator_email_of_a_staff_login_is_refused_until_corrected(app, staff, world):
    # Staff belong to no customer (an email that is a customer user's gets a membership:
    # tests/test_memberships.py).
    application_id = _application(app, admin_email=world.staff_email)
    body = _action(staff, "applications", "approve", application_id).get_data(as_text=True)
    assert "is a login of the vendor&#39;s staff" in body
    with app.app_context():
        assert db.session.get(CustomerApplication, application_id).status == (
            ApplicationStatus.SUBMITTED
        )
    assert _count(app, Customer) == 2 and _count(app, OutboxMessage) == 0

    # Staff correct the address after talking to the applicant, then approve.
    url = f"/admin/applications/edit/?id={application_id}"
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        data = {field: getattr(application, field) for field in onboarding.APPLICATION_FIELDS}
    data.pop("signatory_personal_number")
    data.update(country="SE", admin_email="New.Admin@clinic.example.com")
    token = csrf_token_from(staff.get(url).get_data(as_text=True))
    staff.post(url, data={"csrf_token": token, **data})
    with app.app_context():
        assert db.session.get(CustomerApplication, application_id).admin_email == (
            "new.admin@clinic.example.com"
        )
    _action(staff, "applications", "approve", application_id)
    assert _count(app, User, email="new.admin@clinic.example.com") == 1


def test_an_organisation_that_became_a_customer_meanwhile_is_not_approved(app, staff):
    application_id = _application(app)
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        factories.customer(name="Made by staff", org_number=application.org_number)
        db.session.commit()
    body = _action(staff, "applications", "approve", application_id).get_data(as_text=True)
    assert "is already a customer" in body
    assert _count(app, Agreement) == 0


def test_editing_a_decided_application_is_refused(app, staff):
    application_id = _application(app)
    _reject(staff, application_id, reason="No.")
    url = f"/admin/applications/edit/?id={application_id}"
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        data = {field: getattr(application, field) for field in onboarding.APPLICATION_FIELDS}
    data.pop("signatory_personal_number")
    data.update(country="SE", name="Renamed")
    token = csrf_token_from(staff.get(url).get_data(as_text=True))
    body = staff.post(url, data={"csrf_token": token, **data}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Only a submitted application can be changed." in body
    with app.app_context():
        assert db.session.get(CustomerApplication, application_id).name != "Renamed"


def test_a_new_text_version_is_used_from_then_on(app, staff):
    first = _application(app)
    _action(staff, "applications", "approve", first)
    token = csrf_token_from(staff.get("/admin/agreement_texts/new/").get_data(as_text=True))
    staff.post(
        "/admin/agreement_texts/new/",
        data={"csrf_token": token, "title": "Customer agreement", "body": "New terms."},
    )
    second = _application(app)
    _action(staff, "applications", "approve", second)
    with app.app_context():
        versions = {a.application_id: a.text.version for a in db.session.scalars(select(Agreement))}
        assert db.session.scalar(select(func.max(AgreementText.version))) == 2
    assert versions == {first: 1, second: 2}
    # Versions never change once made.
    assert staff.get("/admin/agreement_texts/edit/?id=1").status_code in (302, 403, 404)


# -- agreements signed on paper -------------------------------------------------------------


def _paper(client, customer_id, **overrides):
    token = csrf_token_from(client.get("/admin/agreements/new/").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "customer": str(customer_id),
        "signed_by": "Petra Paper",
        "signed_on": "2024-03-01",
        "paper_note": "Kundavtal 2, archived in Stockholm",
        **overrides,
    }
    return client.post("/admin/agreements/new/", data=data, follow_redirects=True)


def test_an_existing_customer_gets_an_agreement_signed_on_paper(app, staff, world):
    with app.app_context():
        customer = factories.customer(name="Old Customer", status=CustomerStatus.AWAITING_SIGNATURE)
        db.session.commit()
        customer_id = customer.id
    body = _paper(staff, customer_id).get_data(as_text=True)
    assert "recorded as signed" in body
    with app.app_context():
        agreement = db.session.scalar(select(Agreement).filter_by(customer_id=customer_id))
        assert agreement.status == AgreementStatus.SIGNED
        assert agreement.method == SignatureMethod.PAPER
        assert agreement.signer_name == "Petra Paper"
        assert agreement.signed_at.date() == date(2024, 3, 1)
        assert agreement.recorded_by_id == world.staff_id
        assert db.session.get(Customer, customer_id).status == CustomerStatus.ACTIVE
        assert customers.may_order(db.session.get(Customer, customer_id)) == (True, "")
        assert _count(app, AuditEvent, action="record_paper_agreement", object_id=agreement.id)
    # A second one is refused and changes nothing.
    body = _paper(staff, customer_id, signed_by="Someone Else").get_data(as_text=True)
    assert "already has a signed agreement" in body
    assert _count(app, Agreement, customer_id=customer_id) == 1


def test_paper_agreement_marks_an_awaiting_agreement_signed(app, staff, world):
    application_id = _application(app)
    _action(staff, "applications", "approve", application_id)
    with app.app_context():
        customer_id = db.session.get(CustomerApplication, application_id).customer_id
    _paper(staff, customer_id)
    with app.app_context():
        (agreement,) = db.session.scalars(select(Agreement).filter_by(customer_id=customer_id))
        assert agreement.method == SignatureMethod.PAPER and agreement.text.version == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signed_by": ""}, "This field is required."),
        ({"signed_on": (date.today() + timedelta(days=2)).isoformat()}, "not in the future"),
        ({"signed_on": "yesterday"}, "Not a valid date value."),
        ({"customer": ""}, "This field is required."),
    ],
)
def test_paper_agreement_bad_input(app, staff, world, overrides, message):
    body = _paper(staff, world.a.customer_id, **overrides).get_data(as_text=True)
    assert message in body
    assert _count(app, Agreement) == 0


# -- may the customer order? -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "allowed", "reason"),
    [
        (CustomerStatus.ACTIVE, True, ""),
        (CustomerStatus.AWAITING_SIGNATURE, False, "is not signed yet"),
        (CustomerStatus.SUSPENDED, False, "is suspended"),
    ],
)
def test_may_order_says_why_not(app, status, allowed, reason):
    with app.test_request_context():
        customer = factories.customer(status=status)
        result = customers.may_order(customer)
    assert result.allowed is allowed
    assert reason in result.reason
    assert (result.allowed, result.reason) == tuple(result)


# -- access ----------------------------------------------------------------------------------

VIEWS = ["applications", "agreements", "agreement_texts"]


@pytest.mark.parametrize("view", VIEWS)
def test_onboarding_views_are_for_staff_only(app, client, world, view):
    application_id = _application(app)
    for url in (f"/admin/{view}/", f"/admin/{view}/details/?id={application_id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, world.a.admin_email)
    for url in (f"/admin/{view}/", "/admin/applications/reject/?ids=1"):
        assert client.get(url).status_code == 403
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    response = client.post(
        f"/admin/{view}/action/",
        data={"csrf_token": token, "action": "approve", "rowid": str(application_id)},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(CustomerApplication, application_id).status == (
            ApplicationStatus.SUBMITTED
        )


@pytest.mark.parametrize("view", VIEWS)
def test_staff_open_the_onboarding_views(app, staff, view):
    application_id = _application(app)
    _action(staff, "applications", "approve", application_id)
    for url in (f"/admin/{view}/", f"/admin/{view}/details/?id=1", f"/admin/{view}/export/csv/"):
        assert staff.get(url).status_code == 200, url


def test_resending_the_signing_link_kills_the_old_one(app, staff, mail_server):
    application_id = _application(app)
    _action(staff, "applications", "approve", application_id)
    deliver(app)
    with app.app_context():
        application = db.session.get(CustomerApplication, application_id)
        signatory, agreement_id = application.signatory_email, application.customer.id
        agreement_id = db.session.scalar(
            select(Agreement.id).filter_by(customer_id=application.customer_id)
        )
    old = re.search(LINK, mail_server.to(signatory)[0].text).group(0)
    body = _action(staff, "agreements", "resend", agreement_id).get_data(as_text=True)
    assert "1 signing link sent" in body
    deliver(app)
    new = re.search(LINK, mail_server.to(signatory)[1].text).group(0)
    assert old != new
    anonymous = app.test_client()
    assert anonymous.get(_path(old), follow_redirects=True).status_code == 410
    assert anonymous.get(_path(new), follow_redirects=True).status_code == 200


def test_the_migration_seeds_the_same_first_text_the_app_would():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "migrations" / "versions" / "0005_onboarding.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert (migration.V1_TITLE, migration.V1_BODY) == (
        agreement_texts.DEFAULT_TITLE,
        agreement_texts.DEFAULT_BODY,
    )


def test_two_simultaneous_approvals_make_one_customer(app, world, mail_server):
    """Two staff members press Approve at the same moment, in two processes' transactions."""
    import threading
    import time

    from adminapp.errors import DomainError

    application_id = _application(app)
    barrier = threading.Barrier(2, timeout=10)
    results: list[str] = []

    def approve():
        with app.app_context():
            application = db.session.get(CustomerApplication, application_id)
            staff = db.session.get(User, world.staff_id)
            barrier.wait()
            try:
                onboarding.approve_application(application, actor=Actor(user=staff))
                time.sleep(0.3)  # keep the transaction open while the other one tries
                db.session.commit()
                results.append("approved")
            except DomainError as exc:
                db.session.rollback()
                results.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and results.count("approved") == 1, results
    assert "already approved" in next(r for r in results if r != "approved")
    assert _count(app, Agreement) == 1
    assert _count(app, User, created_via=CreatedVia.APPLICATION) == 2  # admin, contact
    deliver(app)
    assert len(mail_server.received) == 4


def test_the_migration_translates_the_first_text_as_the_app_would():
    import importlib.util
    from pathlib import Path

    path = (
        Path(__file__).parents[1]
        / "migrations"
        / "versions"
        / "0011_agreement_text_translations.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.V1_TRANSLATIONS == agreement_texts.DEFAULT_TRANSLATIONS
