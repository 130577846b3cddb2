"""The agreement text in the customers' languages: each version has a translation per language
({"sv": {"title", "body"}, "nb": ...}); a customer signs in its language, or in English where a
version has none. Version 1 gets its Swedish and Norwegian text.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:00:00

Migrations never import the app: the texts are copied here, and a test checks that they are
the app's (`agreement_texts.DEFAULT_TRANSLATIONS`).
"""
import json

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

V1_TRANSLATIONS = {
    "sv": {
        "title": "Kundavtal för tjänster i Kundportal",
        "body": "1. Omfattning. Detta avtal gäller kundens användning av de tjänster som beställs i Kundportal. Varje beställning anger tjänsten, erbjudandet, dess avgifter och villkor; de villkor som godkänns med en beställning ingår i detta avtal för den beställningen.\n\n2. Beställning. Kunden utser administratörer, beställare och attestanter i Kundportal. En beställning binder kunden när en attestant hos kunden har attesterat den.\n\n3. Avgifter. Kunden betalar uppstartskostnaden för varje beställning och de löpande avgifterna för det som beställts, mot fakturor märkta med kundens fakturareferens.\n\n4. Personuppgifter. Parterna behandlar personuppgifter enligt gällande dataskyddslagstiftning. Leverantören behandlar personuppgifter för kundens räkning endast i den mån tjänsterna kräver det.\n\n5. Giltighet. Avtalet gäller från undertecknandet tills vidare, med tre månaders uppsägningstid för båda parter.\n"
    },
    "nb": {
        "title": "Kundeavtale for tjenester i Kundportal",
        "body": "1. Omfang. Denne avtalen gjelder kundens bruk av tjenestene som bestilles i Kundportal. Hver bestilling angir tjenesten, tilbudet, gebyrene og vilkårene; vilkårene som godtas med en bestilling, er en del av denne avtalen for den bestillingen.\n\n2. Bestilling. Kunden utpeker administratorer, bestillere og attestanter i Kundportal. En bestilling binder kunden når en attestant hos kunden har attestert den.\n\n3. Gebyrer. Kunden betaler etableringsgebyret for hver bestilling og de løpende gebyrene for det som er bestilt, mot fakturaer merket med kundens fakturareferanse.\n\n4. Personopplysninger. Partene behandler personopplysninger i samsvar med gjeldende personvernlovgivning. Leverandøren behandler personopplysninger på kundens vegne bare i den grad tjenestene krever det.\n\n5. Varighet. Avtalen gjelder fra signering og inntil videre, med tre måneders oppsigelsestid for begge parter.\n"
    }
}


def upgrade():
    with op.batch_alter_table("agreement_text") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    op.get_bind().execute(
        sa.text("UPDATE agreement_text SET translations = :t WHERE version = 1"),
        {"t": json.dumps(V1_TRANSLATIONS)},
    )


def downgrade():
    with op.batch_alter_table("agreement_text") as batch:
        batch.drop_column("translations")
