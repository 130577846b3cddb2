"""The customer agreement's text: its versions, the exact document a signatory reads and
signs (with its SHA-256), and what a printable page or PDF shows of a signed agreement.
Signing itself is in `agreements.py`."""

from __future__ import annotations

import hashlib

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from models import Agreement, AgreementText, AuditAction, SignatureMethod, db

from ..errors import InvalidInput
from ..i18n import format_locale, local_datetime
from ..providers.personal_number import mask_personal_number
from ..validation import format_org_number
from .audit import Actor, record

MAX_TEXT_LENGTH = 20_000

# The first version of the agreement text, in English and in the customers' languages: stored
# by the migration (0005, 0011), and by `current_text()` when there is none.
DEFAULT_TITLE = "Customer agreement for Kundportal services"
DEFAULT_BODY = (
    "\n\n".join(
        (
            "1. Scope. This agreement governs the customer's use of the services ordered "
            "through Kundportal. Each order states the service, the offering, its fees and "
            "its terms; the terms accepted with an order are part of this agreement for that "
            "order.",
            "2. Ordering. The customer appoints administrators, orderers and attestants in "
            "Kundportal. An order binds the customer once an attestant of the customer has "
            "attested it.",
            "3. Fees. The customer pays the start-up fee of each order and the recurring fees "
            "of what it has ordered, against invoices marked with the customer's invoice "
            "reference.",
            "4. Personal data. Each party processes personal data in accordance with "
            "applicable data protection law. The supplier processes personal data on the "
            "customer's behalf only as the services require.",
            "5. Term. This agreement applies from its signature until further notice, with "
            "three months' notice of termination for either party.",
        )
    )
    + "\n"
)
DEFAULT_TRANSLATIONS = {
    "sv": {
        "title": "Kundavtal för tjänster i Kundportal",
        "body": "\n\n".join(
            (
                "1. Omfattning. Detta avtal gäller kundens användning av de tjänster som "
                "beställs i Kundportal. Varje beställning anger tjänsten, erbjudandet, dess "
                "avgifter och villkor; de villkor som godkänns med en beställning ingår i detta "
                "avtal för den beställningen.",
                "2. Beställning. Kunden utser administratörer, beställare och attestanter i "
                "Kundportal. En beställning binder kunden när en attestant hos kunden har "
                "attesterat den.",
                "3. Avgifter. Kunden betalar uppstartskostnaden för varje beställning och de "
                "löpande avgifterna för det som beställts, mot fakturor märkta med kundens "
                "fakturareferens.",
                "4. Personuppgifter. Parterna behandlar personuppgifter enligt gällande "
                "dataskyddslagstiftning. Leverantören behandlar personuppgifter för kundens "
                "räkning endast i den mån tjänsterna kräver det.",
                "5. Giltighet. Avtalet gäller från undertecknandet tills vidare, med tre "
                "månaders uppsägningstid för båda parter.",
            )
        )
        + "\n",
    },
    "nb": {
        "title": "Kundeavtale for tjenester i Kundportal",
        "body": "\n\n".join(
            (
                "1. Omfang. Denne avtalen gjelder kundens bruk av tjenestene som bestilles i "
                "Kundportal. Hver bestilling angir tjenesten, tilbudet, gebyrene og vilkårene; "
                "vilkårene som godtas med en bestilling, er en del av denne avtalen for den "
                "bestillingen.",
                "2. Bestilling. Kunden utpeker administratorer, bestillere og attestanter i "
                "Kundportal. En bestilling binder kunden når en attestant hos kunden har "
                "attestert den.",
                "3. Gebyrer. Kunden betaler etableringsgebyret for hver bestilling og de "
                "løpende gebyrene for det som er bestilt, mot fakturaer merket med kundens "
                "fakturareferanse.",
                "4. Personopplysninger. Partene behandler personopplysninger i samsvar med "
                "gjeldende personvernlovgivning. Leverandøren behandler personopplysninger på "
                "kundens vegne bare i den grad tjenestene krever det.",
                "5. Varighet. Avtalen gjelder fra signering og inntil videre, med tre "
                "måneders oppsigelsestid for begge parter.",
            )
        )
        + "\n",
    },
}


def current_text() -> AgreementText:
    """The newest agreement text version; the first one is stored when there is none."""
    text = db.session.scalar(select(AgreementText).order_by(AgreementText.version.desc()).limit(1))
    if text is None:
        text = AgreementText(
            version=1,
            title=DEFAULT_TITLE,
            body=DEFAULT_BODY,
            translations=DEFAULT_TRANSLATIONS,
        )
        db.session.add(text)
        db.session.flush()
    return text


def _clean_text(title: str, body: str, *, field: str = "") -> tuple[str, str]:
    title = (title or "").strip()
    body = (body or "").strip() + "\n"
    if not title:
        raise InvalidInput(_("Give the agreement text a title."), field=f"title{field}")
    if not body.strip():
        raise InvalidInput(_("Write the agreement's text."), field=f"body{field}")
    if len(body) > MAX_TEXT_LENGTH:
        # BankID shows the whole text in the app and takes about 30 000 characters at most.
        raise InvalidInput(
            _("An agreement text may have at most %(n)d characters.", n=MAX_TEXT_LENGTH),
            field=f"body{field}",
        )
    return title, body


def add_text_version(
    *, title: str, body: str, translations: dict | None = None, actor: Actor
) -> AgreementText:
    """A new version of the agreement text, in English and, as given, in the customers'
    languages ({"sv": {"title", "body"}, "nb": …}; a language left empty is signed in
    English). Agreements already made keep theirs."""
    title, body = _clean_text(title, body)
    kept = {}
    for language, text in (translations or {}).items():
        if (text.get("title") or "").strip() or (text.get("body") or "").strip():
            language_title, language_body = _clean_text(
                text.get("title"), text.get("body"), field=f"_{language}"
            )
            kept[language] = {"title": language_title, "body": language_body}
    newest = db.session.scalar(
        select(AgreementText.version).order_by(AgreementText.version.desc()).limit(1)
    )
    text = AgreementText(version=(newest or 0) + 1, title=title, body=body, translations=kept)
    db.session.add(text)
    record(
        AuditAction.CREATE,
        actor=actor,
        obj=text,
        changes={"version": text.version, "title": text.title, "languages": sorted(kept)},
    )
    return text


def text_in(text: AgreementText, language: str) -> tuple[str, str, str]:
    """The version's title and body in `language`, and the language they are in: English
    when the version has no text in that language."""
    translated = (text.translations or {}).get(language)
    if translated:
        return translated["title"], translated["body"], language
    return text.title, text.body, "en"


def document_language(agreement: Agreement) -> str:
    """The language the agreement is signed in: the customer's, if the text has it."""
    if agreement.text is None:
        return "en"
    return text_in(agreement.text, agreement.customer.language)[2]


def document(agreement: Agreement) -> str:
    """The exact text the signatory reads and signs: the version's text and the customer, in
    the customer's language (English where the version has no text in it).

    Its first line says what is approved (the SMS code message quotes it).
    """
    customer, text = agreement.customer, agreement.text
    title, body, language = text_in(text, customer.language)
    address = ", ".join(
        part
        for part in (customer.address_line, f"{customer.postal_code} {customer.city}".strip())
        if part
    )
    number = (
        f"{format_org_number(customer.country, customer.org_number)} ({customer.country.value})"
    )
    with force_locale(format_locale(language)):
        lines = [
            _(
                "%(title)s, version %(version)s, for %(customer)s",
                title=title,
                version=text.version,
                customer=customer.name,
            ),
            "",
            _("Customer: %(name)s", name=customer.name),
            _("Organisation number: %(number)s", number=number),
            _("Address: %(address)s", address=address),
            _("Invoice reference: %(reference)s", reference=customer.invoice_reference),
            _("Signatory: %(name)s", name=agreement.signatory_name),
            "",
            body.strip(),
            "",
        ]
    return "\n".join(lines)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signed_text_verifies(agreement: Agreement) -> bool:
    """Whether the stored signed text still has the SHA-256 recorded when it was signed."""
    return bool(agreement.signed_text) and (
        sha256_hex(agreement.signed_text) == agreement.signed_text_sha256
    )


def evidence_summary(agreement: Agreement) -> list[tuple[str, str]]:
    """What the provider's evidence says, fit for a screen: personal numbers masked."""
    evidence = agreement.evidence or {}
    rows: list[tuple[str, str]] = []
    if agreement.method is None:
        return rows
    if agreement.method.value == "bankid":
        data = evidence.get("completion_data") or {}
        user, device = data.get("user") or {}, data.get("device") or {}
        rows += [
            (_("BankID name"), user.get("name", "")),
            (_("BankID personal number"), mask_personal_number(user.get("personalNumber", ""))),
            (_("BankID order"), evidence.get("order_ref", "")),
            (_("Device IP address"), device.get("ipAddress", "")),
            (_("BankID issued"), data.get("bankIdIssueDate", "")),
            (_("Signature (XML)"), _("%(n)d characters", n=len(data.get("signature", "")))),
            (_("OCSP response"), _("%(n)d characters", n=len(data.get("ocspResponse", "")))),
        ]
    elif agreement.method.value == "sms":
        rows += [
            (_("Code sent to"), evidence.get("phone", "")),
            (_("Code entered"), evidence.get("completed_at", "")),
        ]
    if evidence.get("text_sha256"):
        rows.append((_("SHA-256 the provider approved"), evidence["text_sha256"]))
    return rows


def signature_rows(agreement: Agreement) -> list[tuple[str, str]]:
    """The signature of a signed agreement as label and value pairs, personal numbers masked:
    what its printable page and its PDF show under the text."""
    if not agreement.is_signed:
        return []
    methods = {
        SignatureMethod.BANKID: _("BankID"),
        SignatureMethod.SMS: _("SMS one-time code"),
        SignatureMethod.PAPER: _("On paper"),
    }
    rows = [(_("Signed by"), agreement.signer_name)]
    if agreement.signer_personal_number:
        rows.append((_("Personal number"), mask_personal_number(agreement.signer_personal_number)))
    rows += [
        (_("Method"), methods[agreement.method]),
        (_("Signed"), local_datetime(agreement.signed_at)),
    ]
    if agreement.text:
        rows.append((_("Text version"), str(agreement.text.version)))
    if agreement.signed_text_sha256:
        check = _("verified") if signed_text_verifies(agreement) else _("does not match the text!")
        rows.append((_("SHA-256 of the text"), f"{agreement.signed_text_sha256} ({check})"))
    rows += evidence_summary(agreement)
    if agreement.paper_note:
        rows.append((_("Note"), agreement.paper_note))
    if agreement.recorded_by:
        rows.append((_("Recorded by"), agreement.recorded_by.name))
    return rows


def document_text(agreement: Agreement) -> str:
    """The text a printable page or PDF shows: what was signed, or else what is to be signed."""
    if agreement.signed_text:
        return agreement.signed_text
    return document(agreement) if agreement.text is not None else ""
