"""Strong authentication: SMS one-time codes and BankID (over real HTTPS to the simulator)."""

import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from adminapp.errors import InvalidInput, NotAllowed
from adminapp.services import strong_auth
from adminapp.services.strong_auth import ChallengeInvalid
from models import AuthChallenge, ChallengeStatus, SmsMessage, User, db, utcnow

from . import factories

PERSONAL_NUMBER = "198502143459"


@pytest.fixture
def attestant(app, world):
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.phone = "+46701234567"
        user.personal_number = PERSONAL_NUMBER
        db.session.commit()
    return world.a.attestant_id


def _start(user_id, method="sms", **kw):
    user = db.session.get(User, user_id)
    return strong_auth.start(
        purpose="attest_order",
        object_id=42,
        text="Attest order 42: Webbtidbok\nStart-up fee 5 000 SEK",
        method=method,
        user=user,
        **kw,
    )


def _code(sms_gateway):
    return re.search(r"\b(\d{6})\b", sms_gateway.sent[-1].message).group(1)


# -- SMS -------------------------------------------------------------------------------------


def test_sms_code_completes_once_and_names_what_is_approved(app, attestant, sms_gateway):
    with app.app_context():
        challenge = _start(attestant)
        db.session.commit()
        (sms,) = sms_gateway.sent
        assert sms.to == "+46701234567"
        assert "Attest order 42: Webbtidbok" in sms.message
        code = _code(sms_gateway)
        assert code not in challenge.code_hash and len(challenge.code_hash) == 64
        strong_auth.verify_code(challenge, code)
        db.session.commit()
        assert challenge.status == ChallengeStatus.COMPLETED
        assert challenge.evidence["method"] == "sms"
        assert (
            challenge.evidence["phone"].endswith("67") and "1234" not in challenge.evidence["phone"]
        )
        found = strong_auth.completed(
            challenge.public_id,
            purpose="attest_order",
            object_id=42,
            user=db.session.get(User, attestant),
        )
        strong_auth.use(found)
        db.session.commit()
        with pytest.raises(ChallengeInvalid):
            strong_auth.use(found)
        with pytest.raises(ChallengeInvalid):
            strong_auth.verify_code(challenge, code)  # completes at most once


def test_five_wrong_codes_kill_the_challenge(app, attestant, sms_gateway):
    with app.app_context():
        challenge = _start(attestant)
        code = _code(sms_gateway)
        wrong = "000000" if code != "000000" else "111111"
        for left in ("4 tries", "3 tries", "2 tries", "1 try"):
            with pytest.raises(InvalidInput, match=f"{left} left"):
                strong_auth.verify_code(challenge, wrong)
        with pytest.raises(ChallengeInvalid, match="Too many wrong codes"):
            strong_auth.verify_code(challenge, wrong)
        assert challenge.status == ChallengeStatus.FAILED
        with pytest.raises(ChallengeInvalid):
            strong_auth.verify_code(challenge, code)


def test_expired_code_is_refused(app, attestant, sms_gateway):
    with app.app_context():
        challenge = _start(attestant)
        challenge.expires_at = utcnow() - timedelta(seconds=1)
        with pytest.raises(ChallengeInvalid, match="time ran out"):
            strong_auth.verify_code(challenge, _code(sms_gateway))
        assert challenge.status == ChallengeStatus.EXPIRED


def test_at_most_three_sends_and_not_too_often(app, attestant, sms_gateway):
    with app.app_context():
        challenge = _start(attestant)
        with pytest.raises(NotAllowed, match="Wait half a minute"):
            strong_auth.resend_code(challenge)
        app.config["SMS_RESEND_MIN_SECONDS"] = 0
        strong_auth.resend_code(challenge)
        strong_auth.resend_code(challenge)
        with pytest.raises(NotAllowed, match="No more codes"):
            strong_auth.resend_code(challenge)
        assert len(sms_gateway.sent) == 3
        # Only the newest code works.
        older = re.search(r"\b(\d{6})\b", sms_gateway.sent[0].message).group(1)
        newest = _code(sms_gateway)
        if older != newest:
            with pytest.raises(InvalidInput):
                strong_auth.verify_code(challenge, older)
        strong_auth.verify_code(challenge, newest)


def test_rate_limit_per_phone_number(app, attestant, sms_gateway):
    app.config["SMS_LIMIT_PER_PHONE_PER_HOUR"] = 2
    with app.app_context():
        _start(attestant)
        _start(attestant)
        db.session.commit()
        with pytest.raises(NotAllowed, match="Too many codes were sent to this number"):
            _start(attestant)


def test_rate_limit_per_user(app, attestant, sms_gateway):
    app.config["SMS_LIMIT_PER_USER_PER_HOUR"] = 1
    with app.app_context():
        _start(attestant)
        db.session.commit()
        db.session.get(User, attestant).phone = "+46709999999"
        with pytest.raises(NotAllowed, match="Too many codes were sent to you"):
            _start(attestant)


def test_no_phone_number_no_sms(app, world, sms_gateway):
    with app.app_context():
        db.session.get(User, world.a.orderer_id).phone = ""
        with pytest.raises(NotAllowed, match="no mobile phone number"):
            _start(world.a.orderer_id)
    assert sms_gateway.sent == []


def test_gateway_failure_approves_nothing(app, attestant, sms_gateway):
    sms_gateway.fail_next()
    with app.app_context(), pytest.raises(NotAllowed, match="could not be sent"):
        _start(attestant)


def test_challenge_of_another_user_or_purpose_is_refused(app, attestant, world, sms_gateway):
    with app.app_context():
        challenge = _start(attestant)
        strong_auth.verify_code(challenge, _code(sms_gateway))
        db.session.commit()
        other = db.session.get(User, world.a.admin_id)
        me = db.session.get(User, attestant)
        with pytest.raises(ChallengeInvalid, match="not yours"):
            strong_auth.completed(
                challenge.public_id, purpose="attest_order", object_id=42, user=other
            )
        with pytest.raises(ChallengeInvalid, match="something else"):
            strong_auth.completed(
                challenge.public_id, purpose="attest_order", object_id=43, user=me
            )
        with pytest.raises(ChallengeInvalid, match="something else"):
            strong_auth.completed(
                challenge.public_id, purpose="sign_agreement", object_id=42, user=me
            )
        with pytest.raises(ChallengeInvalid):
            strong_auth.completed(
                "no-such-challenge", purpose="attest_order", object_id=42, user=me
            )


def test_dev_gateways_keep_the_sms_in_the_log(app, attestant, sms_gateway):
    with app.app_context():
        _start(attestant)
        db.session.commit()
        (log,) = db.session.scalars(select(SmsMessage)).all()
        assert log.text == sms_gateway.sent[0].message
        assert log.user_id == attestant


# -- BankID ----------------------------------------------------------------------------------


def _poll_until_done(challenge, limit=10):
    messages = []
    for _ in range(limit):
        try:
            messages.append(strong_auth.poll_bankid(challenge))
        except ChallengeInvalid as exc:
            messages.append(f"FAILED: {exc}")
            break
        if challenge.status != ChallengeStatus.PENDING:
            break
    return messages


def test_bankid_signs_the_text_and_keeps_the_completion_data(app, attestant, bankid):
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        db.session.commit()
        (order,) = bankid.orders
        assert "Attest order 42" in order.user_visible_data
        messages = _poll_until_done(challenge)
        assert len(messages) >= 3  # pending steps first, each with a message
        assert challenge.status == ChallengeStatus.COMPLETED
        data = challenge.evidence["completion_data"]
        assert data["user"]["personalNumber"] == PERSONAL_NUMBER
        assert data["signature"] and data["ocspResponse"] and data["device"]
        assert challenge.evidence["personal_number_masked"] != PERSONAL_NUMBER


def test_bankid_needs_a_personal_number_on_the_profile(app, world, bankid):
    with app.app_context(), pytest.raises(NotAllowed, match="needs your personal number"):
        _start(world.a.orderer_id, method="bankid")
    assert bankid.orders == []


def test_bankid_from_another_person_fails(app, attestant, bankid):
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        # The profile says someone else: BankID's answer must not be accepted.
        challenge.personal_number = "197703034566"
        messages = _poll_until_done(challenge)
        assert challenge.status == ChallengeStatus.FAILED
        assert "belongs to someone else" in messages[-1]


@pytest.mark.parametrize(
    ("hint", "text"),
    [
        ("userCancel", "cancel"),
        ("expiredTransaction", ""),
        ("startFailed", ""),
    ],
)
def test_bankid_failures_end_the_challenge_with_a_message(app, attestant, bankid, hint, text):
    bankid.fail_next(hint)
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        messages = _poll_until_done(challenge)
        assert challenge.status == ChallengeStatus.FAILED
        assert messages[-1].startswith("FAILED: ")
        assert len(messages[-1]) > len("FAILED: ") + 10
        assert text.lower() in messages[-1].lower()


def test_bankid_already_in_progress(app, attestant, bankid):
    bankid.auto_approve = False
    with app.app_context():
        _start(attestant, method="bankid")
        db.session.commit()
        with pytest.raises(NotAllowed) as caught:
            _start(attestant, method="bankid")
        assert "already" in str(caught.value).lower() or "progress" in str(caught.value).lower()


def test_bankid_unknown_order_fails_cleanly(app, attestant, bankid):
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        challenge.order_ref = "00000000-0000-0000-0000-000000000000"
        messages = _poll_until_done(challenge)
        assert challenge.status == ChallengeStatus.FAILED
        assert messages[-1].startswith("FAILED")


def test_bankid_5xx_and_timeouts_keep_trying(app, attestant, bankid):
    app.config["BANKID_TIMEOUT_SECONDS"] = 1
    with app.app_context():
        bankid.error_next("maintenance")
        with pytest.raises(NotAllowed):
            _start(attestant, method="bankid")
        db.session.rollback()
        challenge = _start(attestant, method="bankid")
        bankid.error_next("internalError")
        assert "does not answer" in strong_auth.poll_bankid(challenge)
        bankid.hang_next(seconds=2)
        assert "does not answer" in strong_auth.poll_bankid(challenge)
        assert challenge.status == ChallengeStatus.PENDING
        _poll_until_done(challenge)
        assert challenge.status == ChallengeStatus.COMPLETED


def test_bankid_cancel_when_the_user_leaves(app, attestant, bankid):
    bankid.auto_approve = False
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        strong_auth.cancel(challenge)
        assert challenge.status == ChallengeStatus.CANCELLED
        assert bankid.orders[0].gone or bankid.orders[0].status != "pending"


def test_qr_codes_follow_the_api_formula(app, attestant, bankid):
    with app.app_context():
        challenge = _start(attestant, method="bankid")
        for seconds in (0, 1, 2):
            challenge.started_at = utcnow() - timedelta(seconds=seconds, milliseconds=100)
            expected = hmac.new(
                challenge.qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256
            ).hexdigest()
            assert strong_auth.qr_code(challenge) == (
                f"bankid.{challenge.qr_start_token}.{seconds}.{expected}"
            )


def test_the_challenge_row_keeps_no_code_and_no_secrets_in_audit(app, attestant, sms_gateway):
    with app.app_context():
        _start(attestant)
        code = _code(sms_gateway)
        db.session.commit()
        from models import AuditEvent

        for event in db.session.scalars(select(AuditEvent)):
            assert code not in str(event.changes)
        assert db.session.scalar(select(AuthChallenge.code_hash)) != code


def test_factories_unused_import_guard():
    assert factories.PASSWORD


def test_the_sms_names_a_long_customer_without_cutting_a_word(app, attestant, sms_gateway):
    name = "Region Testlän Vårdcentralen Ängelholms Östra Familjeläkarmottagning AB"
    with app.app_context():
        strong_auth.start(
            purpose="test",
            object_id=1,
            text=f"Sign the customer agreement of {name}\n\nThe text.",
            method="sms",
            user=db.session.get(User, attestant),
        )
        db.session.commit()
    (sms,) = sms_gateway.sent
    what = re.search(r"to (.+?)\. It is valid", sms.message).group(1)
    assert what.endswith("…")
    assert f"{what[:-1]} " in f"Sign the customer agreement of {name} "  # ends at a word
