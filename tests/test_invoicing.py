"""Customer information and invoicing (issue "One person in several organisations; a read-only
contact; customer and invoice details", part 5): the admin sees what the vendor holds and
updates the contact details, the invoice details and a service's own; every change is audited;
an attested order carries the details in force when it was attested, shown at delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adminapp.errors import InvalidInput
from adminapp.validation import normalise_peppol_id
from models import AuditAction, AuditEvent, Customer, InvoiceOverride, Offering, Order, db

from .conftest import csrf_token_from, login
from .test_attestation import _attest_with_sms
from .test_attestation import order_id as order_id  # the fixture

PAGE = "/portal/organisation/"


def _post(client, url, data):
    token = csrf_token_from(client.get(PAGE).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def _customer(app, customer_id) -> Customer:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        db.session.expunge(customer)
        return customer


def _updates(app, customer_id) -> list[dict]:
    with app.app_context():
        return [
            event.changes
            for event in db.session.scalars(
                select(AuditEvent)
                .filter_by(action=AuditAction.UPDATE, object_type="Customer")
                .filter_by(object_id=customer_id)
                .order_by(AuditEvent.id)
            )
        ]


def _service_id(app, world) -> int:
    with app.app_context():
        return db.session.get(Offering, world.a.offering_id).service_id


# -- Peppol addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, country, expected",
    [
        ("0007:5566778899", "SE", "0007:5566778899"),
        ("0007:556677-8899", "SE", "0007:5566778899"),
        ("556677-8899", "SE", "0007:5566778899"),  # a bare organisation number: the country's
        ("998 877 660", "NO", "0192:998877660"),
        ("0192:998877660", "SE", "0192:998877660"),
        ("7300010000001", "SE", "0088:7300010000001"),  # a bare GLN
        ("0088:7300010000001", "NO", "0088:7300010000001"),
        ("9955:SE556677889901", "SE", "9955:SE556677889901"),  # another scheme: its form only
        ("", "SE", ""),
    ],
)
def test_peppol_addresses_are_normalised(raw, country, expected):
    assert normalise_peppol_id(raw, country=country) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("0007:5566778891", "check digit"),
        ("0192:998877661", "check digit"),
        ("7300010000002", "GLN"),
        ("peppol please", "scheme:identifier"),
        ("12:345", "scheme:identifier"),
    ],
)
def test_wrong_peppol_addresses_are_refused_on_their_field(raw, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        normalise_peppol_id(raw, country="SE")
    assert refused.value.field == "peppol_id"


# -- the admin's page ----------------------------------------------------------------------


def test_the_admin_sees_what_the_vendor_holds(client, world):
    login(client, world.a.admin_email)
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for expected in ("Customer A", "What Kundportal holds about your organisation", "Sweden"):
        assert expected in body, expected
    assert "Our organisation" in client.get("/portal/").get_data(as_text=True)  # in the menu


@pytest.mark.parametrize("who", ["orderer_email", "attestant_email"])
def test_only_admins_see_the_page(client, world, who):
    login(client, getattr(world.a, who))
    assert client.get(PAGE).status_code in (302, 403)
    response = client.post(PAGE + "invoicing", data={"i-invoice_reference": "Mine"})
    assert response.status_code in (302, 400, 403)


def test_staff_are_not_shown_the_portal_page(client, world):
    login(client, world.staff_email)
    assert client.get(PAGE).status_code in (302, 403)


def test_the_admin_updates_the_contact_details(app, client, world):
    login(client, world.a.admin_email)
    response = _post(
        client,
        PAGE + "contact",
        {
            "c-address_line": "Vårdvägen 3",
            "c-postal_code": "222 33",
            "c-city": "Lund",
            "c-contact_email": "Info@Customer-A.example.com",
            "c-contact_phone": "046-12 34 56",
        },
    )
    assert "The contact details are saved." in response.get_data(as_text=True)
    customer = _customer(app, world.a.customer_id)
    assert (customer.city, customer.contact_email, customer.contact_phone) == (
        "Lund",
        "info@customer-a.example.com",
        "+4646123456",
    )
    assert _updates(app, world.a.customer_id)[-1]["city"][1] == "Lund"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("c-contact_email", "not an email", "valid email"),
        ("c-contact_phone", "12", "valid phone number"),
    ],
)
def test_wrong_contact_details_are_shown_and_save_nothing(
    app, client, world, field, value, message
):
    login(client, world.a.admin_email)
    response = _post(client, PAGE + "contact", {"c-city": "Lund", field: value})
    body = response.get_data(as_text=True)
    assert message in body and 'aria-invalid="true"' in body
    assert _customer(app, world.a.customer_id).city != "Lund"
    assert _updates(app, world.a.customer_id) == []


def test_the_admin_updates_the_invoice_details(app, client, world):
    login(client, world.a.admin_email)
    response = _post(
        client,
        PAGE + "invoicing",
        {
            "i-invoice_reference": "KST 4711",
            "i-invoice_address_line": "Box 123",
            "i-invoice_postal_code": "111 11",
            "i-invoice_city": "Stockholm",
            "i-invoice_email": "faktura@customer-a.example.com",
            "i-peppol_id": "7300010000001",
        },
    )
    body = response.get_data(as_text=True)
    assert "The invoice details are saved." in body
    assert "Box 123, 111 11 Stockholm" in body  # where invoices go now
    customer = _customer(app, world.a.customer_id)
    assert (customer.invoice_reference, customer.peppol_id) == ("KST 4711", "0088:7300010000001")
    changes = _updates(app, world.a.customer_id)[-1]
    assert changes["invoice_reference"][1] == "KST 4711" and "peppol_id" in changes


@pytest.mark.parametrize(
    "data, message",
    [
        ({"i-invoice_city": "Stockholm"}, "whole invoice address"),
        ({"i-peppol_id": "0007:5566778891"}, "check digit"),
        ({"i-invoice_email": "faktura@"}, "valid email"),
    ],
)
def test_wrong_invoice_details_are_shown_and_save_nothing(app, client, world, data, message):
    login(client, world.a.admin_email)
    body = _post(client, PAGE + "invoicing", {"i-invoice_reference": "New", **data}).get_data(
        as_text=True
    )
    assert message in body and 'aria-invalid="true"' in body
    assert _customer(app, world.a.customer_id).invoice_reference != "New"
    assert _updates(app, world.a.customer_id) == []


def test_a_service_gets_its_own_reference_and_keeps_the_default_address(app, client, world):
    login(client, world.a.admin_email)
    _post(
        client,
        PAGE + "invoicing",
        {
            "i-invoice_reference": "Default ref",
            "i-invoice_address_line": "Box 1",
            "i-invoice_postal_code": "111 11",
            "i-invoice_city": "Stockholm",
        },
    )
    service_id = _service_id(app, world)
    response = _post(
        client,
        PAGE + "invoicing/services",
        {"o-service": str(service_id), "o-invoice_reference": "Lab 12"},
    )
    body = response.get_data(as_text=True)
    assert "The service&#39;s invoice details are saved." in body
    assert 'id="invoice-overrides"' in body and "Lab 12" in body
    from adminapp.services.invoicing import invoice_details_for

    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        service = db.session.get(Offering, world.a.offering_id).service
        details = invoice_details_for(customer, service)
        assert details["invoice_reference"] == "Lab 12"  # the service's own
        assert details["invoice_address_line"] == "Box 1"  # the default's
        assert details["service_override"] is True
        assert invoice_details_for(customer, None)["invoice_reference"] == "Default ref"
    # Saving the same service again changes its override; it does not add a second.
    _post(client, PAGE + "invoicing/services", {"o-service": str(service_id), "o-invoice_city": ""})
    with app.app_context():
        assert len(db.session.scalars(select(InvoiceOverride)).all()) == 1


def test_an_override_needs_its_service(app, client, world):
    login(client, world.a.admin_email)
    body = _post(
        client, PAGE + "invoicing/services", {"o-service": "", "o-invoice_reference": "X"}
    ).get_data(as_text=True)
    assert "Choose the service." in body and "Not a valid choice" not in body
    with app.app_context():
        assert db.session.scalars(select(InvoiceOverride)).all() == []


def test_an_empty_override_is_refused(app, client, world):
    login(client, world.a.admin_email)
    body = _post(
        client, PAGE + "invoicing/services", {"o-service": str(_service_id(app, world))}
    ).get_data(as_text=True)
    assert "an empty override changes nothing" in body
    with app.app_context():
        assert db.session.scalars(select(InvoiceOverride)).all() == []


def test_the_admin_goes_back_to_the_default_and_cannot_touch_another_customers(app, client, world):
    with app.app_context():
        service = db.session.get(Offering, world.a.offering_id).service
        mine = InvoiceOverride(
            customer_id=world.a.customer_id, service=service, invoice_reference="A's"
        )
        theirs = InvoiceOverride(
            customer_id=world.b.customer_id, service=service, invoice_reference="B's"
        )
        db.session.add_all([mine, theirs])
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    login(client, world.a.admin_email)
    body = client.get(PAGE).get_data(as_text=True)
    assert "A&#39;s" in body and "B&#39;s" not in body
    refused = _post(client, PAGE + "invoicing/services/delete", {"id": str(theirs_id)})
    assert "no such invoice override" in refused.get_data(as_text=True)
    done = _post(client, PAGE + "invoicing/services/delete", {"id": str(mine_id)})
    assert "uses the default invoice details again" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InvoiceOverride, mine_id) is None
        assert db.session.get(InvoiceOverride, theirs_id) is not None
        deleted = db.session.scalar(
            select(AuditEvent).filter_by(action=AuditAction.DELETE, object_type="InvoiceOverride")
        )
        assert deleted.changes["invoice_reference"] == "A's"


# -- the attested order carries them --------------------------------------------------------


def test_an_attested_order_carries_the_invoice_details_then_in_force(
    app, client, world, login_as, order_id, sms_gateway
):
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        customer.invoice_reference, customer.peppol_id = "KST 1", "0007:5566778899"
        service = db.session.get(Order, order_id).offering.service
        db.session.add(
            InvoiceOverride(customer=customer, service=service, invoice_email="lab@a.example.com")
        )
        db.session.commit()
        assert db.session.get(Order, order_id).invoice_details == {}  # not yet attested
    login_as(world.a.attestant_email)
    assert "is attested" in _attest_with_sms(client, order_id, sms_gateway).get_data(as_text=True)
    with app.app_context():
        carried = db.session.get(Order, order_id).invoice_details
        assert carried["invoice_reference"] == "KST 1"
        assert carried["peppol_id"] == "0007:5566778899"
        assert carried["invoice_email"] == "lab@a.example.com"  # the service's own
        assert carried["customer_name"] == "Customer A"
        # Changed afterwards, the customer's details do not move the attested order's.
        db.session.get(Customer, world.a.customer_id).invoice_reference = "KST 2"
        db.session.commit()
        assert db.session.get(Order, order_id).invoice_details["invoice_reference"] == "KST 1"
    staff = app.test_client()
    login(staff, world.staff_email)
    delivery = staff.get(f"/admin/delivery/details/?id={order_id}").get_data(as_text=True)
    assert "KST 1" in delivery and "0007:5566778899" in delivery and "KST 2" not in delivery
    details = staff.get(f"/admin/orders/details/?id={order_id}").get_data(as_text=True)
    assert "KST 1" in details and "lab@a.example.com" in details


def test_staff_edit_a_customers_invoice_details(app, client, world):
    login(client, world.staff_email)
    url = f"/admin/customers/edit/?id={world.a.customer_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Peppol address for e-invoices" in page
    customer = _customer(app, world.a.customer_id)
    data = {
        "csrf_token": csrf_token_from(page),
        "name": customer.name,
        "country": "SE",
        "org_number": customer.org_number,
        "address_line": customer.address_line,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "invoice_reference": "Staff ref",
        "peppol_id": "0007:5566778899",
        "language": customer.language,
    }
    client.post(url, data=data)
    assert _customer(app, world.a.customer_id).peppol_id == "0007:5566778899"
    wrong = client.post(url, data={**data, "peppol_id": "0007:5566778891"})
    assert "check digit" in wrong.get_data(as_text=True)
