"""The signatory signs the agreement (seed sv step 2) with an SMS code or BankID, through the
strong-authentication providers: the signed record, its hash, and every way it is refused."""

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from adminapp.services import agreement_texts, agreements, customers, onboarding
from adminapp.services.audit import Actor
from models import (
    Agreement,
    AgreementStatus,
    AuditEvent,
    AuthChallenge,
    ChallengeStatus,
    Customer,
    CustomerStatus,
    LinkToken,
    OutboxMessage,
    SignatureMethod,
    TokenPurpose,
    User,
    db,
    utcnow,
)

from . import factories
from .conftest import csrf_token_from, deliver, login, open_link

SIGNED_SUBJECT = "The customer agreement of {} is signed"


def _subject(mail) -> str:
    # Flask-Mail folds a long ASCII subject right after "Subject:", so it arrives with the
    # fold's leading space (mail readers do not show it).
    return mail.subject.strip()


def _approved(app, world, **kw) -> SimpleNamespace:
    """An approved application: its agreement awaits signature; the signing link's path."""
    with app.app_context():
        application = factories.application(**kw)
        onboarding.approve_application(
            application, actor=Actor(user=db.session.get(User, world.staff_id))
        )
        db.session.commit()
        body = db.session.scalar(
            select(OutboxMessage.body_text).filter_by(template="agreement_to_sign")
        )
        agreement = db.session.scalar(
            select(Agreement).filter_by(customer_id=application.customer_id)
        )
        return SimpleNamespace(
            agreement_id=agreement.id,
            customer_id=application.customer_id,
            customer_name=application.name,
            link=re.search(r"http://portal\.test(/sign/\S+)", body).group(1),
            admin_email=application.admin_email,
            contract_email=application.contract_email,
            signatory_phone=application.signatory_phone,
        )


def _start(client, link, method):
    url = open_link(client, link)
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "method": method})


def _enter_sms_code(client, challenge_path, sms_gateway):
    code = re.search(r"\b(\d{6})\b", sms_gateway.sent[-1].message).group(1)
    token = csrf_token_from(client.get(challenge_path).get_data(as_text=True))
    response = client.post(f"{challenge_path}/code", data={"csrf_token": token, "code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]  # the finish URL


def _sign_with_sms(client, signing, sms_gateway):
    started = _start(client, signing.link, "sms")
    assert started.status_code == 302, started.get_data(as_text=True)
    finish = _enter_sms_code(client, started.headers["Location"], sms_gateway)
    return client.get(finish)


def _complete_bankid(client, challenge_path):
    """Poll the challenge page, as the browser does, until BankID completed it."""
    for _ in range(20):
        response = client.get(challenge_path)
        if response.status_code == 302:
            return response.headers["Location"]
        assert response.status_code == 200, response.get_data(as_text=True)
    raise AssertionError("the BankID order never completed")


def _agreement(app, agreement_id) -> Agreement:
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        _ = agreement.customer, agreement.text
        db.session.expunge_all()
        return agreement


def test_signing_with_an_sms_code(app, client, world, sms_gateway, mail_server):
    signing = _approved(app, world)
    page = client.get(signing.link, follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        text = agreement_texts.document(db.session.get(Agreement, signing.agreement_id))
    assert signing.customer_name in page and "version 1" in page
    assert hashlib.sha256(text.encode()).hexdigest() in page  # the fingerprint shown

    started = _start(client, signing.link, "sms")
    assert started.status_code == 302 and started.headers["Location"].startswith("/challenge/")
    (sms,) = sms_gateway.sent
    assert sms.to == signing.signatory_phone
    # The customer (a Swedish organisation) signs its Swedish text; the SMS quotes its title.
    assert "Kundavtal för tjänster i Kundportal, version 1" in sms.message
    finish = _enter_sms_code(client, started.headers["Location"], sms_gateway)
    assert finish.startswith("/sign/l/") and "/finish?challenge=" in finish
    assert signing.link.rsplit("/", 1)[-1] not in finish  # no token in any later address
    done = client.get(finish)
    assert done.status_code == 302 and done.headers["Location"] == "/sign/signed"
    receipt = client.get("/sign/signed").get_data(as_text=True)
    assert "the agreement is signed" in receipt

    agreement = _agreement(app, signing.agreement_id)
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.method == SignatureMethod.SMS
    assert agreement.signer_name == "Sigrid Signatory"
    assert agreement.signer_personal_number is None
    assert agreement.signed_text == text
    assert agreement.signed_text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert agreement.signed_text_sha256 in receipt
    assert agreement.evidence["method"] == "sms"
    assert agreement.evidence["phone"] == "+467******02"  # masked
    assert agreement.evidence["text_sha256"] == agreement.signed_text_sha256
    assert agreement.text.version == 1 and agreement.signed_at is not None
    assert agreement.customer.status == CustomerStatus.ACTIVE
    with app.app_context():
        challenge = db.session.get(AuthChallenge, agreement.challenge_id)
        assert challenge.status == ChallengeStatus.USED
        assert challenge.text_sha256 == agreement.signed_text_sha256
        assert customers.may_order(db.session.get(Customer, signing.customer_id)).allowed
        sign_event = db.session.scalar(select(AuditEvent).filter_by(action="sign"))
        assert sign_event.object_id == signing.agreement_id
        assert sign_event.changes["signed_text_sha256"] == agreement.signed_text_sha256
        assert db.session.scalar(
            select(AuditEvent).filter_by(action="activate", object_type="Customer")
        )

    deliver(app)
    subject = SIGNED_SUBJECT.format(signing.customer_name)
    told = sorted(m.rcpt_tos[0] for m in mail_server.received if _subject(m) == subject)
    assert told == sorted([signing.admin_email, signing.contract_email])
    (admin_mail,) = [m for m in mail_server.to(signing.admin_email) if _subject(m) == subject]
    assert "Sigrid Signatory" in admin_mail.text and "http://portal.test/login" in admin_mail.text

    # The link is spent; the finish page cannot sign again.
    again = client.get(signing.link, follow_redirects=True)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert client.get(finish).status_code == 410
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(action="sign"))
            == 1
        )


def test_signing_with_bankid_from_the_person_in_the_application(
    app, client, world, bankid, login_as
):
    personal_number = "198507099805"
    signing = _approved(app, world, signatory_personal_number=personal_number)
    page = client.get(signing.link, follow_redirects=True).get_data(as_text=True)
    assert "19850709-****" in page and personal_number not in page
    started = _start(client, signing.link, "bankid")
    assert started.status_code == 302
    (order,) = bankid.orders
    # The order requires the application's person, and shows exactly the document to sign.
    assert order.person.personal_number == personal_number
    with app.app_context():
        text = agreement_texts.document(db.session.get(Agreement, signing.agreement_id))
    assert order.user_visible_data == text
    finish = _complete_bankid(client, started.headers["Location"])
    assert client.get(finish).headers["Location"] == "/sign/signed"

    agreement = _agreement(app, signing.agreement_id)
    assert agreement.method == SignatureMethod.BANKID
    assert agreement.signer_personal_number == personal_number
    assert agreement.signer_name == order.person.name
    completion = agreement.evidence["completion_data"]
    assert completion["user"]["personalNumber"] == personal_number
    assert completion["signature"] and completion["ocspResponse"]
    assert agreement.signed_text == text
    assert agreement_texts.signed_text_verifies(agreement)

    # Staff see it, the personal number masked, and can download it.
    staff = app.test_client()
    login(staff, world.staff_email)
    details = staff.get(f"/admin/agreements/details/?id={signing.agreement_id}")
    body = details.get_data(as_text=True)
    assert "19850709-****" in body and personal_number not in body
    assert agreement.signed_text_sha256 in body and "matches the one recorded" in body
    document = staff.get(f"/admin/agreements/document/?id={signing.agreement_id}&download=1")
    assert document.headers["Content-Disposition"].startswith("attachment;")
    body = document.get_data(as_text=True)
    assert "BankID" in body and "19850709-****" in body and personal_number not in body
    assert agreement.signed_text_sha256 in body and "(verified)" in body


def test_bankid_without_a_personal_number_in_the_application(app, client, world, bankid):
    signing = _approved(app, world)
    started = _start(client, signing.link, "bankid")
    client.get(_complete_bankid(client, started.headers["Location"]))
    agreement = _agreement(app, signing.agreement_id)
    assert agreement.signer_personal_number == bankid.person.personal_number
    assert agreement.signer_name == bankid.person.name


def test_a_bankid_signature_of_another_person_is_refused(app, client, world, bankid):
    signing = _approved(app, world, signatory_personal_number="198507099805")
    started = _start(client, signing.link, "bankid")
    finish = _complete_bankid(client, started.headers["Location"])
    with app.app_context():  # as if BankID had answered for someone else
        challenge = db.session.scalar(select(AuthChallenge))
        evidence = dict(challenge.evidence)
        evidence["completion_data"] = {
            **evidence["completion_data"],
            "user": {"personalNumber": "199001012385", "name": "Someone Else"},
        }
        challenge.evidence = evidence
        db.session.commit()
    response = client.get(finish)
    assert response.status_code == 409
    assert "belongs to someone else" in response.get_data(as_text=True)
    assert _agreement(app, signing.agreement_id).status == AgreementStatus.AWAITING_SIGNATURE
    assert (
        client.get(signing.link, follow_redirects=True).status_code == 200
    )  # the link still works


def test_an_expired_link_signs_nothing(app, client, world, sms_gateway):
    signing = _approved(app, world)
    with app.app_context():
        db.session.execute(
            update(LinkToken)
            .where(LinkToken.purpose == TokenPurpose.SIGN_AGREEMENT)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    page = client.get(signing.link, follow_redirects=True)
    assert page.status_code == 410
    body = page.get_data(as_text=True)
    assert "This link has expired." in body and "Ask customer service" in body
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    url = open_link(client, signing.link)
    assert client.post(url, data={"csrf_token": token, "method": "sms"}).status_code == 410
    assert sms_gateway.sent == []
    assert client.get("/sign/not-a-token", follow_redirects=True).status_code == 404


def test_the_link_expires_after_the_configured_time(app, world):
    app.config["TOKEN_LIFETIME_SIGN_AGREEMENT_SECONDS"] = 3600
    _approved(app, world)
    with app.app_context():
        token = db.session.scalar(select(LinkToken).filter_by(purpose=TokenPurpose.SIGN_AGREEMENT))
        assert token.expires_at - token.created_at == timedelta(hours=1)
        assert token.object_type == "Agreement" and token.user_id is None


def test_signing_is_refused_while_switched(app, client, world, sms_gateway):
    signing = _approved(app, world)
    login(client, world.staff_email)
    # Started and proved while the staff member is themself...
    started = _start(client, signing.link, "sms")
    finish = _enter_sms_code(client, started.headers["Location"], sms_gateway)
    # ...but finished while acting as a customer user: refused, nothing signed.
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    client.post(f"/switch/{world.a.admin_id}", data={"csrf_token": token})
    response = client.get(finish)
    assert response.status_code == 409
    assert "Not while you act as another user" in response.get_data(as_text=True)
    assert _agreement(app, signing.agreement_id).status == AgreementStatus.AWAITING_SIGNATURE
    # Starting a new signature while switched is refused too, before any code is sent.
    sent = len(sms_gateway.sent)
    body = _start(client, signing.link, "sms").get_data(as_text=True)
    assert "Not while you act as another user" in body
    assert len(sms_gateway.sent) == sent
    # Back as themself, the proven signature can be finished.
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    client.post("/switch/back", data={"csrf_token": token})
    assert client.get(finish).headers["Location"] == "/sign/signed"
    assert _agreement(app, signing.agreement_id).status == AgreementStatus.SIGNED


def test_a_second_signing_is_refused(app, world, sms_gateway):
    signing = _approved(app, world)
    first, second = app.test_client(), app.test_client()
    finish_first = _enter_sms_code(
        first, _start(first, signing.link, "sms").headers["Location"], sms_gateway
    )
    finish_second = _enter_sms_code(
        second, _start(second, signing.link, "sms").headers["Location"], sms_gateway
    )
    assert first.get(finish_first).status_code == 302
    late = second.get(finish_second)
    assert late.status_code == 410
    agreement = _agreement(app, signing.agreement_id)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(action="sign"))
            == 1
        )
        (used,) = db.session.scalars(
            select(AuthChallenge).filter_by(status=ChallengeStatus.USED)
        ).all()
        assert used.id == agreement.challenge_id
        # Even with a new link (say, one issued by mistake) a signed agreement stays as it is.
        from adminapp.services import tokens

        raw = tokens.issue(TokenPurpose.SIGN_AGREEMENT, obj=db.session.get(Agreement, agreement.id))
        db.session.commit()
        challenge_id = db.session.scalar(
            select(AuthChallenge.public_id).filter_by(status=ChallengeStatus.COMPLETED)
        )
        with pytest.raises(agreements.TransitionRefused, match="already signed"):
            agreements.sign_agreement(raw, challenge_id, actor=Actor.for_system("signatory"))
        db.session.rollback()
    page = second.get(f"/sign/{raw}", follow_redirects=True).get_data(as_text=True)
    assert "already signed" in page and "Sign the agreement</button>" not in page
    assert _agreement(app, signing.agreement_id).signed_at == agreement.signed_at


def test_an_agreement_changed_while_signing_is_not_signed(app, client, world, sms_gateway):
    signing = _approved(app, world)
    finish = _enter_sms_code(
        client, _start(client, signing.link, "sms").headers["Location"], sms_gateway
    )
    with app.app_context():  # staff correct the customer's address meanwhile
        db.session.get(Customer, signing.customer_id).address_line = "Nya gatan 2"
        db.session.commit()
    response = client.get(finish)
    assert response.status_code == 409
    assert "changed while you signed" in response.get_data(as_text=True)
    assert _agreement(app, signing.agreement_id).status == AgreementStatus.AWAITING_SIGNATURE


def test_choosing_no_method_is_a_message_on_the_form(app, client, world, sms_gateway):
    signing = _approved(app, world)
    for method in ("", "carrier-pigeon"):
        url = open_link(client, signing.link)
        token = csrf_token_from(client.get(url).get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, "method": method})
        assert response.status_code == 200
        assert 'id="method-errors"' in response.get_data(as_text=True)
    assert sms_gateway.sent == []


def test_the_stored_hash_verifies_the_signed_text(app, client, world, sms_gateway, login_as):
    signing = _approved(app, world)
    _sign_with_sms(client, signing, sms_gateway)
    agreement = _agreement(app, signing.agreement_id)
    assert hashlib.sha256(agreement.signed_text.encode("utf-8")).hexdigest() == (
        agreement.signed_text_sha256
    )
    assert agreement_texts.signed_text_verifies(agreement)
    with app.app_context():  # someone tampers with the stored text
        db.session.get(Agreement, signing.agreement_id).signed_text += " (and a free car)"
        db.session.commit()
        tampered = db.session.get(Agreement, signing.agreement_id)
        assert not agreement_texts.signed_text_verifies(tampered)
    staff = app.test_client()
    login(staff, world.staff_email)
    body = staff.get(f"/admin/agreements/details/?id={signing.agreement_id}").get_data(as_text=True)
    assert "does not match the SHA-256 recorded at signing" in body


def test_each_customer_signs_the_text_of_its_language(app, world):
    from adminapp.services.agreement_texts import current_text, document, document_language

    with app.app_context():
        text = current_text()
        languages = {}
        for language in ("sv", "nb", "en"):
            customer = factories.customer(name=f"Kund {language}", language=language)
            agreement = Agreement(customer=customer, text=text, signatory_name="Sune")
            db.session.add(agreement)
            languages[language] = (document(agreement), document_language(agreement))
    assert languages["sv"][0].startswith(
        "Kundavtal för tjänster i Kundportal, version 1, för Kund sv"
    )
    assert "Organisationsnummer:" in languages["sv"][0] and "1. Omfattning." in languages["sv"][0]
    assert languages["nb"][0].startswith("Kundeavtale for tjenester i Kundportal, versjon 1")
    assert "1. Omfang." in languages["nb"][0]
    assert languages["en"][0].startswith("Customer agreement for Kundportal services, version 1")
    assert {lang: used for lang, (_text, used) in languages.items()} == {
        "sv": "sv",
        "nb": "nb",
        "en": "en",
    }


def test_a_version_without_the_customers_language_is_signed_in_english_with_a_note(
    app, client, world
):
    from adminapp.services import tokens
    from adminapp.services.agreement_texts import add_text_version
    from adminapp.services.audit import Actor

    with app.app_context():
        text = add_text_version(
            title="Agreement 2027", body="1. All of it.", actor=Actor.for_system("t")
        )
        customer = factories.customer(name="Svensk Kund AB", language="sv")
        agreement = Agreement(customer=customer, text=text, signatory_name="Sune")
        db.session.add(agreement)
        db.session.flush()
        link = tokens.issue(TokenPurpose.SIGN_AGREEMENT, obj=agreement)
        text_version = text.version
        db.session.commit()
    page = client.get(
        f"/sign/{link}", headers={"Accept-Language": "sv"}, follow_redirects=True
    ).get_data(as_text=True)
    assert 'id="agreement-language-note"' in page and "Svenska" in page
    assert f"Agreement 2027, version {text_version}, for Svensk Kund AB" in page
