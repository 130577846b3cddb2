"""`flask create-staff` and `flask demo-data`."""

from sqlalchemy import func, select

from adminapp.demo import DEMO_PASSWORD
from models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    AuditEvent,
    CareUnit,
    Customer,
    CustomerApplication,
    Offering,
    Order,
    OrderStatus,
    OutboxMessage,
    RoleName,
    Service,
    SignatureMethod,
    User,
    db,
)

from .conftest import login


def test_create_staff_asks_for_the_password(app, runner, client):
    result = runner.invoke(
        args=["create-staff", "--email", "New.Staff@Example.com", "--name", "New Staff"],
        input="a-long-staff-passphrase\na-long-staff-passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "a-long-staff-passphrase" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="new.staff@example.com"))
        assert user.is_staff and user.customer_id is None
        assert user.password_hash.startswith("$argon2id$")
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).filter_by(object_id=user.id)
            )
            == 1
        )
    assert login(client, "new.staff@example.com", "a-long-staff-passphrase").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_create_staff_has_no_password_option(runner):
    result = runner.invoke(
        args=["create-staff", "--email", "x@example.com", "--name", "X", "--password", "p"]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_create_staff_refuses_a_weak_password(app, runner):
    result = runner.invoke(
        args=["create-staff", "--email", "weak@example.com", "--name", "Weak"],
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(email="weak@example.com")) is None


def test_create_staff_refuses_a_taken_email(app, runner, world):
    result = runner.invoke(
        args=["create-staff", "--email", world.staff_email, "--name", "Again"],
        input="a-long-staff-passphrase\na-long-staff-passphrase\n",
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def _counts(app):
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (
                Customer,
                User,
                Service,
                Offering,
                CareUnit,
                Order,
                Agreement,
                CustomerApplication,
                OutboxMessage,
            )
        }


def test_demo_data_twice_gives_the_same_data(app, runner, client):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    counts = _counts(app)
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0, second.output
    assert "0 objects created" in second.output
    assert _counts(app) == counts
    assert counts["Customer"] >= 2 and counts["Order"] >= 5
    with app.app_context():
        statuses = set(db.session.scalars(select(Order.status)))
        assert {
            OrderStatus.DRAFT,
            OrderStatus.AWAITING_ATTESTATION,
            OrderStatus.HELD,
            OrderStatus.ATTESTED,
            OrderStatus.COMPLETED,
        } <= statuses
        # Orders past attestation say when, so the staff home shows how long deliveries
        # wait; completed ones when they were delivered, for the invoicing basis.
        for order in db.session.scalars(select(Order)):
            decided = order.status in (
                OrderStatus.ATTESTED,
                OrderStatus.IN_DELIVERY,
                OrderStatus.COMPLETED,
            )
            assert (order.attested_at is not None) == decided, order.note
            done = order.status == OrderStatus.COMPLETED
            assert (order.completed_at is not None) == done, order.note
        held_roles = {r.name for u in db.session.scalars(select(User)) for r in u.roles}
        assert held_roles == set(RoleName)  # a demo user for every role
        # Onboarding to try: paper agreements for the active customers, one awaiting its
        # signatory (with the signing link in the outbox), one application to review.
        agreements = {a.customer.name: a for a in db.session.scalars(select(Agreement))}
        assert agreements["Region Exempel"].method == SignatureMethod.PAPER
        assert agreements["Legekontoret Nord AS"].status == AgreementStatus.SIGNED
        waiting = agreements["Vårdcentralen Syd AB"]
        assert waiting.status == AgreementStatus.AWAITING_SIGNATURE
        assert waiting.signatory_personal_number  # BankID in the simulator works for her
        links = db.session.scalars(
            select(OutboxMessage).filter_by(template="agreement_to_sign")
        ).all()
        assert [m.recipient for m in links] == [waiting.signatory_email]
        assert "/sign/" in links[0].body_text
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(CustomerApplication)
                .filter_by(status=ApplicationStatus.SUBMITTED)
            )
            == 1
        )
    # The printed logins work.
    assert "staff@kundportal.example.com" in first.output
    assert login(client, "staff@kundportal.example.com", DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/orders/").status_code == 200


def test_demo_data_refuses_in_production(app, runner):
    app.config["KUNDPORTAL_ENV"] = "production"
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
    assert _counts(app)["Customer"] == 0


def test_the_demo_speaks_each_customers_language(app, runner):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    with app.app_context():
        languages = dict(db.session.execute(select(Customer.name, Customer.language)).all())
        assert languages == {
            "Region Exempel": "sv",
            "Vårdcentralen Syd AB": "sv",
            "Legekontoret Nord AS": "nb",
        }
        assert (
            db.session.scalar(select(User.locale).filter_by(email="nina.admin@nord.example.com"))
            == "nb"
        )
        assert db.session.scalar(select(User.locale).filter_by(is_staff=True)) == "en"
        norwegian = db.session.scalar(select(Offering).filter_by(name="Prøvesvar – standard"))
        assert norwegian.currency == "NOK" and "Tjenesten leveres" in norwegian.terms_text
        orders = db.session.scalars(select(Order).join(Customer).filter_by(language="nb"))
        assert {o.currency for o in orders} == {"NOK"}
