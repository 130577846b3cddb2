"""The offering's order fields, edited as rows of a table in the back office (not as JSON)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adminapp.errors import InvalidInput
from adminapp.services.catalog import check_order_fields, field_key
from models import Offering, db

from . import factories
from .conftest import csrf_token_from


def _base(service_id, name="Connect"):
    return {
        "service": str(service_id),
        "name": name,
        "startup_fee": "1000",
        "recurring_fee": "100",
        "recurring_period": "month",
        "currency": "SEK",
        "terms_text": "Terms.",
        "active": "y",
    }


def _post(client, url, data):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


@pytest.fixture
def staff_client(client, world, login_as):
    login_as(world.staff_email)
    return client


@pytest.fixture
def service_id(app):
    with app.app_context():
        service = factories.service(name="Journal")
        db.session.commit()
        return service.id


def test_the_new_offering_form_has_empty_rows_and_no_json(staff_client, service_id):
    page = staff_client.get("/admin/offerings/new/").get_data(as_text=True)
    assert 'name="order_fields-2-label"' in page and 'name="order_fields-3-label"' not in page
    assert "{}" not in page and "JSON" not in page
    assert '<label for="order_fields-0-label"' in page  # the form's label names a control


def test_order_fields_are_typed_as_rows(app, staff_client, service_id):
    response = _post(
        staff_client,
        "/admin/offerings/new/",
        {
            **_base(service_id),
            "order_fields-0-label": "Go-live date",
            "order_fields-0-type": "date",
            "order_fields-0-required": "y",
            "order_fields-1-label": "Plan",
            "order_fields-1-type": "choice",
            "order_fields-1-choices": "Basic\r\n Plus \r\n\r\n",
            "order_fields-2-label": "",  # an empty row adds nothing
        },
    )
    assert response.status_code == 200
    with app.app_context():
        offering = db.session.scalar(select(Offering).filter_by(name="Connect"))
        assert offering.order_fields == [
            {"name": "go_live_date", "label": "Go-live date", "type": "date", "required": True},
            {
                "name": "plan",
                "label": "Plan",
                "type": "choice",
                "required": False,
                "choices": ["Basic", "Plus"],
            },
        ]
        offering_id = offering.id
    edit = f"/admin/offerings/edit/?id={offering_id}"
    page = staff_client.get(edit).get_data(as_text=True)
    assert 'value="Go-live date"' in page and "Basic\nPlus</textarea>" in page
    assert 'name="order_fields-4-label"' in page  # two fields and three empty rows
    _post(
        staff_client,
        edit,
        {
            **_base(service_id),
            "order_fields-0-label": "Go-live date",
            "order_fields-0-name": "go_live_date",
            "order_fields-0-type": "date",
            "order_fields-0-remove": "y",
            "order_fields-1-label": "Plan",
            "order_fields-1-name": "plan",
            "order_fields-1-type": "choice",
            "order_fields-1-choices": "Basic\nPlus\nPremium",
        },
    )
    with app.app_context():
        fields = db.session.get(Offering, offering_id).order_fields
    assert [f["name"] for f in fields] == ["plan"]
    assert fields[0]["choices"] == ["Basic", "Plus", "Premium"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"order_fields-0-label": "Plan", "order_fields-0-type": "choice"}, "needs its options"),
        ({"order_fields-0-name": "plan"}, "Order field 1 needs a label."),
        (
            {"order_fields-0-label": "Plan", "order_fields-0-name": "Not a key!"},
            "needs a unique key",
        ),
        (
            {"order_fields-0-label": "Plan", "order_fields-1-label": "Plan"},
            "Order field 2 needs a unique key",
        ),
    ],
)
def test_wrong_rows_are_refused_on_the_form(app, staff_client, service_id, row, message):
    response = _post(staff_client, "/admin/offerings/new/", {**_base(service_id), **row})
    body = response.get_data(as_text=True)
    assert message in body
    assert 'value="Plan"' in body or 'value="plan"' in body  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(Offering).filter_by(name="Connect")) is None


def test_keys_are_made_from_labels():
    assert field_key("Go-live date") == "go_live_date"
    assert field_key("Vårdenhetens ansvarige") == "vardenhetens_ansvarige"
    assert field_key("Første dag på jobb") == "forste_dag_pa_jobb"
    assert field_key("Ærlig svar") == "aerlig_svar"
    assert field_key("2 kopior") == "field_2_kopior"


def test_stored_definitions_still_check():
    assert check_order_fields({}) == []
    stored = [{"name": "x", "label": "X", "type": "choice", "choices": ["a", "b"]}]
    assert check_order_fields(stored)[0]["choices"] == ["a", "b"]
    with pytest.raises(InvalidInput):
        check_order_fields("[]")


def test_a_fee_beyond_what_the_database_holds_is_refused(app, staff_client, service_id):
    response = _post(
        staff_client, "/admin/offerings/new/", {**_base(service_id), "startup_fee": str(2**63)}
    )
    assert "A fee must be less than 10 000 000 000." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Offering).filter_by(name="Connect")) is None


def test_terms_in_each_language_make_versions_and_are_read_in_the_orderers(
    app, staff_client, world, service_id
):
    from tests.test_ordering import _draft, _fill, _submit

    _post(
        staff_client,
        "/admin/offerings/new/",
        {**_base(service_id), "terms_text": "English terms.", "terms_sv": "Svenska villkor."},
    )
    with app.app_context():
        offering = db.session.scalar(select(Offering).filter_by(name="Connect"))
        assert offering.terms_translations == {"sv": "Svenska villkor."}
        offering_id = offering.id
    edit = f"/admin/offerings/edit/?id={offering_id}"
    page = staff_client.get(edit).get_data(as_text=True)
    assert "Svenska villkor.</textarea>" in page  # the form shows what is stored
    _post(
        staff_client,
        edit,
        {
            **_base(service_id),
            "terms_text": "English terms.",
            "terms_sv": "Svenska villkor.",
            "terms_nb": "Norske vilkår.",
        },
    )
    with app.app_context():
        offering = db.session.get(Offering, offering_id)
        assert offering.terms_version == 2  # a new language is a new version
        assert [t.translations for t in offering.terms_history] == [
            {"sv": "Svenska villkor."},
            {"sv": "Svenska villkor.", "nb": "Norske vilkår."},
        ]
        orderer = db.session.get(factories.User, world.a.orderer_id)
        orderer.locale = "sv"
        db.session.commit()
    from .conftest import login

    client = app.test_client()  # the orderer's own browser
    login(client, world.a.orderer_email)
    order_id = _draft(client, {"service_id": service_id, "offering_id": offering_id})
    _fill(client, order_id)
    summary = client.get(f"/portal/order/{order_id}/summary").get_data(as_text=True)
    assert "Svenska villkor." in summary and "English terms." not in summary
    assert "terms-language-note" not in summary
    _submit(client, order_id, version=2)
    with app.app_context():
        order = db.session.get(factories.Order, order_id)
        assert (order.accepted_terms_version, order.accepted_terms_language) == (2, "sv")
    shown = client.get(f"/portal/order/{order_id}").get_data(as_text=True)
    assert "Svenska villkor." in shown


def test_terms_without_the_readers_language_are_shown_in_english_with_a_note(
    app, world, service_id
):
    from tests.test_ordering import _draft, _fill

    from .conftest import login

    with app.app_context():
        offering = factories.offering(service_=db.session.get(factories.Service, service_id))
        db.session.get(factories.User, world.a.orderer_id).locale = "nb"
        db.session.commit()
        offering_id = offering.id
    client = app.test_client()
    login(client, world.a.orderer_email)
    order_id = _draft(client, {"service_id": service_id, "offering_id": offering_id})
    _fill(client, order_id)
    summary = client.get(f"/portal/order/{order_id}/summary").get_data(as_text=True)
    assert "terms-language-note" in summary and "Terms." in summary
