"""Demo data (seed data, not a journey): customers, users of every role, a catalog and
orders in several states.

Idempotent: each object is found by its natural key before it is made, so running it twice
gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from models import (
    Agreement,
    AgreementStatus,
    AuditAction,
    CareUnit,
    Country,
    CreatedVia,
    Customer,
    CustomerApplication,
    CustomerStatus,
    Offering,
    OfferingTerms,
    Order,
    OrderCareUnit,
    OrderStatus,
    Person,
    Role,
    RoleName,
    Service,
    User,
    UserStatus,
    db,
    utcnow,
)

from . import passwords
from .i18n import language_of_country
from .services.agreement_texts import current_text
from .services.agreements import agreement_of, record_paper_agreement, send_signing_link
from .services.audit import Actor, record
from .services.onboarding import submit_application
from .services.reports import forget_kept_months

DEMO_PASSWORD = "kundportal-demo"

# Fictitious Swedish personal numbers (valid check digits) for BankID in the demo: the local
# BankID simulator signs as whoever the portal asks for.
DEMO_PERSONAL_NUMBERS = {
    "anna.admin@region.example.com": "198001012346",
    "asa.attestant@region.example.com": "198502143459",
    "bo.both@region.example.com": "197703034566",
    "ingrid.attestant@nord.example.com": "21069210160",  # a fødselsnummer: she uses SMS codes
    "sara.admin@syd.example.com": "196811306783",
}


# Agreements: the active customers signed on paper (before the portal); Syd awaits its
# signatory, whose signing link is in the outbox: sign it with the BankID simulator or an SMS
# code from the SMS log.
PAPER_AGREEMENTS = {"region": "Anna Admin", "nord": "Nina Admin"}
SIGNATORY = {"syd": "sara.admin@syd.example.com"}

# A customer application waiting for staff review (Onboarding → Applications).
APPLICATION = {
    "name": "Tandvården Öst AB",
    "country": "SE",
    "org_number": "556677-1233",
    "address_line": "Östra vägen 7",
    "postal_code": "602 20",
    "city": "Norrköping",
    "invoice_reference": "TÖ-2026",
    "admin_name": "Olle Öst",
    "admin_email": "olle.ost@tandost.example.com",
    "admin_phone": "+46701234591",
    "signatory_name": "Greta Gren",
    "signatory_email": "greta.gren@tandost.example.com",
    "signatory_phone": "+46701234592",
    "signatory_personal_number": "",
    "contract_name": "Olle Öst",
    "contract_email": "olle.ost@tandost.example.com",
    "contract_phone": "+46701234591",
    "applicant_email": "olle.ost@tandost.example.com",
}


@dataclass
class DemoSummary:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, email, password)
    created: int = 0


CUSTOMERS = [
    # key, name, country, org number, city, status
    ("region", "Region Exempel", Country.SE, "5566778899", "Exempelstad", CustomerStatus.ACTIVE),
    ("nord", "Legekontoret Nord AS", Country.NO, "998877660", "Tromsø", CustomerStatus.ACTIVE),
    (
        "syd",
        "Vårdcentralen Syd AB",
        Country.SE,
        "5590001235",
        "Malmö",
        CustomerStatus.AWAITING_SIGNATURE,
    ),
]

USERS = [
    # customer key (None: staff), email, name, phone, roles, status
    (None, "staff@kundportal.example.com", "Sam Support", "", (), UserStatus.ACTIVE),
    (
        "region",
        "anna.admin@region.example.com",
        "Anna Admin",
        "+46701234501",
        (RoleName.ADMIN,),
        UserStatus.ACTIVE,
    ),
    (
        # The same person administers a second organisation: one login, a menu to choose.
        "syd",
        "anna.admin@region.example.com",
        "Anna Admin",
        "+46701234501",
        (RoleName.ADMIN,),
        UserStatus.ACTIVE,
    ),
    (
        "region",
        "olle.orderer@region.example.com",
        "Olle Orderer",
        "+46701234502",
        (RoleName.ORDERER,),
        UserStatus.ACTIVE,
    ),
    (
        "region",
        "asa.attestant@region.example.com",
        "Åsa Attestant",
        "+46701234503",
        (RoleName.ATTESTANT,),
        UserStatus.ACTIVE,
    ),
    (
        "region",
        "bo.both@region.example.com",
        "Bo Both",
        "+46701234504",
        (RoleName.ORDERER, RoleName.ATTESTANT),
        UserStatus.ACTIVE,
    ),
    (
        "region",
        "karin.kontakt@region.example.com",
        "Karin Kontakt",
        "+46701234509",
        (RoleName.CONTACT,),  # reads the agreement, the organisation and the orders
        UserStatus.ACTIVE,
    ),
    (
        "nord",
        "nina.admin@nord.example.com",
        "Nina Admin",
        "+4791234501",
        (RoleName.ADMIN,),
        UserStatus.ACTIVE,
    ),
    (
        "nord",
        "per.bestiller@nord.example.com",
        "Per Bestiller",
        "+4791234502",
        (RoleName.ORDERER,),
        UserStatus.ACTIVE,
    ),
    (
        "nord",
        "ingrid.attestant@nord.example.com",
        "Ingrid Attestant",
        "+4791234503",
        (RoleName.ATTESTANT,),
        UserStatus.ACTIVE,
    ),
    # Self-registered and not yet approved: its submitted order is held.
    (
        "nord",
        "kari.ny@nord.example.com",
        "Kari Ny",
        "+4791234504",
        (RoleName.ORDERER,),
        UserStatus.PENDING_APPROVAL,
    ),
    (
        "syd",
        "sara.admin@syd.example.com",
        "Sara Admin",
        "+46701234601",
        (RoleName.ADMIN,),
        UserStatus.ACTIVE,
    ),
]

CARE_UNITS = [
    ("region", "SE2321000016-1001", "Vårdcentralen Centrum"),
    ("region", "SE2321000016-1002", "Vårdcentralen Norra"),
    ("region", "SE2321000016-1003", "Barnmottagningen"),
    ("nord", "NO998877660-0001", "Legekontoret Nord"),
]

# The demo speaks each customer's language: the Swedish catalog in Swedish, the Norwegian
# offering in Norwegian Bokmål (and in kroner); staff read English.
TERMS = (
    "1. Tjänsten levereras enligt beskrivningen i erbjudandet.\n"
    "2. Uppstartskostnaden debiteras en gång per beställning, den löpande avgiften per period.\n"
    "3. Avtalet gäller tills vidare med tre månaders uppsägningstid."
)
TERMS_NB = (
    "1. Tjenesten leveres som beskrevet i tilbudet.\n"
    "2. Etableringsgebyret faktureres én gang per bestilling, det løpende gebyret per periode.\n"
    "3. Avtalen gjelder inntil videre med tre måneders oppsigelsestid."
)

DEMO_ORDER_FIELDS = [
    {"name": "go_live", "label": "Önskat startdatum", "type": "date", "required": True},
    {
        "name": "contact_phone",
        "label": "Teknisk kontaktpersons telefon",
        "type": "text",
        "required": False,
    },
]
DEMO_ORDER_FIELDS_NB = [
    {"name": "go_live", "label": "Ønsket oppstartsdato", "type": "date", "required": True},
]

DELIVERY_TEMPLATE = (
    "Hej!\n\nBeställning {order_id} ({offering}) för {customer} levereras till: "
    "{care_units}.\nLogga in på https://service.example.com med organisationens "
    "e-tjänstelegitimation; era enheter ansluts inom två arbetsdagar.\n\n"
    "Vänliga hälsningar\nKundservice"
)
DELIVERY_TEMPLATE_NB = (
    "Hei!\n\nBestilling {order_id} ({offering}) for {customer} leveres til: {care_units}.\n"
    "Logg inn på https://service.example.com med virksomhetens e-ID; enhetene kobles til "
    "innen to virkedager.\n\nVennlig hilsen\nKundeservice"
)

CATALOG = [
    # service, description, [(offering, startup fee, recurring fee, needs care units)]
    (
        "Journal via nätet",
        "Patienter läser sin journal på nätet.",
        [
            ("Journal via nätet – anslutning", Decimal("15000.00"), Decimal("1200.00"), True),
            ("Journal via nätet – utökad support", Decimal("0.00"), Decimal("800.00"), False),
        ],
    ),
    (
        "Säker digital kommunikation",
        "Säkra meddelanden mellan vårdgivare.",
        [
            ("SDK – grundanslutning", Decimal("25000.00"), Decimal("2500.00"), True),
        ],
    ),
    (
        "Webbtidbok",
        "Bokning av besök på nätet.",
        [
            ("Webbtidbok – standard", Decimal("5000.00"), Decimal("450.00"), True),
        ],
    ),
    (
        "Laboratorietjenester",
        "Elektronisk rekvirering og prøvesvar.",
        [
            ("Prøvesvar – standard", Decimal("4000.00"), Decimal("350.00"), True),
            ("Prøvesvar – utvidet", Decimal("6000.00"), Decimal("600.00"), True),
        ],
    ),
]
# The Norwegian service is sold in kroner, in Norwegian.
NORWEGIAN_SERVICES = {"Laboratorietjenester"}

ORDERS = [
    # key (kept in the note), customer, orderer email, offering, status, care unit hsa ids
    (
        "Demo order 1",
        "region",
        "olle.orderer@region.example.com",
        "Journal via nätet – anslutning",
        OrderStatus.DRAFT,
        ("SE2321000016-1001",),
    ),
    (
        "Demo order 2",
        "region",
        "olle.orderer@region.example.com",
        "SDK – grundanslutning",
        OrderStatus.AWAITING_ATTESTATION,
        ("SE2321000016-1001", "SE2321000016-1002"),
    ),
    (
        "Demo order 3",
        "region",
        "bo.both@region.example.com",
        "Webbtidbok – standard",
        OrderStatus.ATTESTED,
        ("SE2321000016-1003",),
    ),
    (
        "Demo order 4",
        "region",
        "olle.orderer@region.example.com",
        "Journal via nätet – utökad support",
        OrderStatus.IN_DELIVERY,
        (),
    ),
    (
        "Demo order 5",
        "region",
        "bo.both@region.example.com",
        "Journal via nätet – anslutning",
        OrderStatus.COMPLETED,
        ("SE2321000016-1002",),
    ),
    (
        "Demo order 6",
        "region",
        "olle.orderer@region.example.com",
        "Webbtidbok – standard",
        OrderStatus.REJECTED,
        ("SE2321000016-1001",),
    ),
    (
        "Demo order 7",
        "region",
        "olle.orderer@region.example.com",
        "Journal via nätet – utökad support",
        OrderStatus.CANCELLED,
        (),
    ),
    (
        "Demo order 8",
        "nord",
        "per.bestiller@nord.example.com",
        "Prøvesvar – standard",
        OrderStatus.AWAITING_ATTESTATION,
        ("NO998877660-0001",),
    ),
    (
        "Demo order 9",
        "nord",
        "kari.ny@nord.example.com",
        "Prøvesvar – utvidet",
        OrderStatus.HELD,
        ("NO998877660-0001",),
    ),
]


class _Loader:
    def __init__(self, actor: Actor):
        self.actor = actor
        self.summary = DemoSummary()
        self.customers: dict[str, Customer] = {}
        self.users: dict[str, User] = {}
        self.offerings: dict[str, Offering] = {}
        self.care_units: dict[str, CareUnit] = {}
        self.roles = {role.name: role for role in db.session.scalars(select(Role))}
        self.password_hash = passwords.hash_password(DEMO_PASSWORD)

    def _created(self, obj) -> None:
        db.session.add(obj)
        record(AuditAction.CREATE, actor=self.actor, obj=obj, changes={"demo": True})
        self.summary.created += 1

    def customers_(self) -> None:
        for key, name, country, org_number, city, status in CUSTOMERS:
            customer = db.session.scalar(
                select(Customer).where(
                    Customer.country == country, Customer.org_number == org_number
                )
            )
            if customer is None:
                customer = Customer(
                    name=name,
                    country=country,
                    org_number=org_number,
                    city=city,
                    address_line="Exempelgatan 1",
                    postal_code="123 45",
                    invoice_reference=f"Demo {key}",
                    # e-invoices go to the organisation number's Peppol address
                    peppol_id=f"{'0007' if country == Country.SE else '0192'}:{org_number}",
                    invoice_email=f"faktura@{key}.example.com",
                    language=language_of_country(country),
                    status=status,
                )
                self._created(customer)
            self.customers[key] = customer

    def users_(self) -> None:
        for customer_key, email, name, phone, roles, status in USERS:
            customer = self.customers[customer_key] if customer_key else None
            user = db.session.scalar(
                select(User).where(
                    User.email == email,
                    User.customer_id == customer.id if customer else User.is_staff,
                )
            )
            if user is None:
                # A second membership is the person's, not a new person.
                person = db.session.scalar(select(Person).where(Person.email == email))
                self_registered = status == UserStatus.PENDING_APPROVAL
                user = User(
                    email=email,
                    name=name,
                    phone=phone,
                    status=status,
                    is_staff=customer_key is None,
                    customer=self.customers[customer_key] if customer_key else None,
                    created_via=CreatedVia.SELF_REGISTRATION
                    if self_registered
                    else CreatedVia.DEMO,
                    approved_at=None if self_registered else utcnow(),
                    password_hash=self.password_hash,
                    roles=[self.roles[r] for r in roles],
                    personal_number=DEMO_PERSONAL_NUMBERS.get(email),
                    locale=self.customers[customer_key].language if customer_key else "en",
                    person=person,
                )
                self._created(user)
                db.session.flush()  # the person exists for the next membership
            self.users.setdefault(email, user)
            label = (
                "staff"
                if customer_key is None
                else (
                    f"{self.customers[customer_key].name}: "
                    + ", ".join(r.value for r in roles)
                    + (" (not approved)" if status == UserStatus.PENDING_APPROVAL else "")
                )
            )
            self.summary.logins.append((label, email, DEMO_PASSWORD))

    def catalog_(self) -> None:
        for service_name, description, offerings in CATALOG:
            service = db.session.scalar(select(Service).where(Service.name == service_name))
            if service is None:
                service = Service(name=service_name, description=description)
                self._created(service)
            for name, startup_fee, recurring_fee, needs_care_units in offerings:
                offering = db.session.scalar(
                    select(Offering).where(Offering.service == service, Offering.name == name)
                )
                if offering is None:
                    norwegian = service_name in NORWEGIAN_SERVICES
                    terms = TERMS_NB if norwegian else TERMS
                    fields = DEMO_ORDER_FIELDS_NB if norwegian else DEMO_ORDER_FIELDS
                    offering = Offering(
                        service=service,
                        name=name,
                        description=description,
                        startup_fee=startup_fee,
                        recurring_fee=recurring_fee,
                        currency="NOK" if norwegian else "SEK",
                        terms_text=terms,
                        terms_version=1,
                        needs_care_units=needs_care_units,
                        order_fields=fields if needs_care_units else [],
                        delivery_template=DELIVERY_TEMPLATE_NB if norwegian else DELIVERY_TEMPLATE,
                        terms_history=[OfferingTerms(version=1, text=terms)],
                    )
                    self._created(offering)
                self.offerings[name] = offering

    def care_units_(self) -> None:
        for customer_key, hsa_id, name in CARE_UNITS:
            customer = self.customers[customer_key]
            unit = db.session.scalar(
                select(CareUnit).where(CareUnit.customer == customer, CareUnit.hsa_id == hsa_id)
            )
            if unit is None:
                unit = CareUnit(customer=customer, hsa_id=hsa_id, name=name)
                self._created(unit)
            self.care_units[hsa_id] = unit

    def orders_(self) -> None:
        now = utcnow()
        for index, (key, customer_key, email, offering_name, status, hsa_ids) in enumerate(ORDERS):
            customer = self.customers[customer_key]
            if db.session.scalar(
                select(Order.id).where(Order.customer == customer, Order.note == key)
            ):
                continue
            orderer = self.users[email]
            offering = self.offerings[offering_name]
            submitted = status != OrderStatus.DRAFT
            sent = now - timedelta(days=len(ORDERS) - index) if submitted else None
            # An order past attestation says when it was attested (the delivery queue's age,
            # the reports' waits), a completed one when it was delivered (the invoicing basis).
            attested = status in (
                OrderStatus.ATTESTED,
                OrderStatus.IN_DELIVERY,
                OrderStatus.COMPLETED,
            )
            order = Order(
                customer=customer,
                orderer=orderer,
                orderer_name=orderer.name,
                orderer_email=orderer.email,
                offering=offering,
                status=status,
                note=key,
                startup_fee=offering.startup_fee,
                recurring_fee=offering.recurring_fee,
                currency=offering.currency,
                accepted_terms_version=offering.terms_version if submitted else None,
                submitted_at=sent,
                attested_at=sent + timedelta(hours=2) if attested else None,
                completed_at=sent + timedelta(days=1) if status == OrderStatus.COMPLETED else None,
                care_units=[
                    OrderCareUnit(
                        care_unit=self.care_units[h], hsa_id=h, name=self.care_units[h].name
                    )
                    for h in hsa_ids
                ],
            )
            self._created(order)

    def agreements_(self) -> None:
        signed_on = utcnow().date() - timedelta(days=400)
        for key, signed_by in PAPER_AGREEMENTS.items():
            customer = self.customers[key]
            if agreement_of(customer) is None:
                record_paper_agreement(
                    customer,
                    signed_by=signed_by,
                    signed_on=signed_on,
                    note="Demo: signed on paper before Kundportal.",
                    actor=self.actor,
                )
                self.summary.created += 1
        for key, email in SIGNATORY.items():
            customer, signatory = self.customers[key], self.users[email]
            if agreement_of(customer) is None:
                agreement = Agreement(
                    customer=customer,
                    text=current_text(),
                    status=AgreementStatus.AWAITING_SIGNATURE,
                    signatory_name=signatory.name,
                    signatory_email=signatory.email,
                    signatory_phone=signatory.phone,
                    signatory_personal_number=signatory.personal_number,
                )
                self._created(agreement)
                db.session.flush()
                send_signing_link(agreement)

    def application_(self) -> None:
        org_number = "".join(ch for ch in APPLICATION["org_number"] if ch.isdigit())
        if db.session.scalar(
            select(CustomerApplication.id).where(CustomerApplication.org_number == org_number)
        ):
            return
        submit_application(APPLICATION, actor=self.actor)
        self.summary.created += 1


def load_demo_data(*, actor: Actor) -> DemoSummary:
    """Create whatever of the demo data is missing; return the demo logins."""
    loader = _Loader(actor)
    loader.customers_()
    loader.users_()
    loader.catalog_()
    loader.care_units_()
    loader.orders_()
    loader.agreements_()
    loader.application_()
    db.session.flush()
    forget_kept_months()  # its orders are written into past months: Reports counts afresh
    return loader.summary
