"""Staff download a customer's agreement as a PDF: the exact text signed, the signature and
the provider's evidence, personal numbers masked, any alphabet printed as it is."""

import io
import re

from pypdf import PdfReader

from .conftest import login
from .test_onboarding_signing import (
    _agreement,
    _approved,
    _complete_bankid,
    _sign_with_sms,
    _start,
)

PERSONAL_NUMBER = "198507099805"


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _squeezed(text: str) -> str:
    """Text without any whitespace: the PDF wraps lines where the page ends them."""
    return re.sub(r"\s+", "", text)


def _staff(app, world):
    staff = app.test_client()
    login(staff, world.staff_email)
    return staff


def test_a_bankid_signed_agreement_as_pdf(app, client, world, bankid):
    signing = _approved(app, world, signatory_personal_number=PERSONAL_NUMBER)
    started = _start(client, signing.link, "bankid")
    client.get(_complete_bankid(client, started.headers["Location"]))
    agreement = _agreement(app, signing.agreement_id)
    assert agreement.is_signed

    staff = _staff(app, world)
    details = staff.get(f"/admin/agreements/details/?id={signing.agreement_id}")
    assert f"/admin/agreements/pdf/?id={signing.agreement_id}" in details.get_data(as_text=True)
    response = staff.get(f"/admin/agreements/pdf/?id={signing.agreement_id}")
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="agreement-{agreement.customer.org_number}-{agreement.id}.pdf"'
    )
    text = _pdf_text(response)
    squeezed = _squeezed(text)
    # Every character of the signed text is in the PDF, in order.
    assert _squeezed(agreement.signed_text) in squeezed
    assert f"Customer agreement of {signing.customer_name}" in text
    assert "Signed by" in text and agreement.signer_name in text
    assert "19850709-****" in text and PERSONAL_NUMBER not in squeezed
    assert f"{agreement.signed_text_sha256}(verified)" in squeezed
    assert "BankID order" in text and agreement.evidence["order_ref"] in squeezed
    assert "Not signed yet" not in text
    assert re.search(r"Page 1 of \d+", text)


def test_an_unsigned_agreement_as_pdf_says_so(app, world):
    signing = _approved(app, world)
    text = _pdf_text(_staff(app, world).get(f"/admin/agreements/pdf/?id={signing.agreement_id}"))
    assert "Not signed yet: this is the text awaiting the signature of Sigrid Signatory." in text
    assert f"för {signing.customer_name}" in text  # the text to sign, in the customer's Swedish
    assert "Signed by" not in text


def test_names_in_any_alphabet_print_as_they_are(app, client, world, sms_gateway):
    name = "Łukasz Ødegård-Ωμέγα"
    signing = _approved(app, world, signatory_name=name, name="Vårdcentralen Ängen")
    _sign_with_sms(client, signing, sms_gateway)
    agreement = _agreement(app, signing.agreement_id)
    assert agreement.signer_name == name
    text = _pdf_text(_staff(app, world).get(f"/admin/agreements/pdf/?id={signing.agreement_id}"))
    assert name in text
    assert "Customer agreement of Vårdcentralen Ängen" in text
    assert "SMS one-time code" in text and "Code sent to" in text


def test_the_pdf_is_for_staff_only(app, client, world, login_as):
    signing = _approved(app, world)
    url = f"/admin/agreements/pdf/?id={signing.agreement_id}"
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login_as(world.a.admin_email)
    refused = client.get(url)
    assert refused.status_code == 403 and b"%PDF" not in refused.get_data()


def test_an_unknown_agreement_is_a_message_not_an_error(app, world):
    staff = _staff(app, world)
    response = staff.get("/admin/agreements/pdf/?id=999999")
    assert response.status_code == 302
    assert "No such agreement." in staff.get(response.headers["Location"]).get_data(as_text=True)
