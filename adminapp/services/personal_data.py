"""Personal data at rest: finding a user by personal number, and re-encrypting under a new key.

The columns themselves encrypt and decrypt (models/encryption.py); this is what works across
rows.
"""

from __future__ import annotations

from sqlalchemy import Text, literal, select, type_coerce, update

from models import Agreement, AuthChallenge, CustomerApplication, OrderDecision, User, db
from models.encryption import Encrypted, EncryptedJSON, cipher

from ..providers.personal_number import normalise_national_id

# Every encrypted column, so that a rotation misses none (test_encryption checks the list).
ENCRYPTED_COLUMNS = (
    User.personal_number,
    CustomerApplication.signatory_personal_number,
    Agreement.signatory_personal_number,
    Agreement.signer_personal_number,
    Agreement.evidence,
    AuthChallenge.personal_number,
    AuthChallenge.evidence,
    OrderDecision.evidence,
)
ROTATION_BATCH = 500


def personal_number_hashes(text: str) -> list[str]:
    """The keyed hashes (under every configured key) of `text` read as a personal number
    (Swedish or Norwegian), in any spelling a person, BankID or ID-porten would use; none
    when it is not one."""
    try:
        canonical = normalise_national_id(text.strip())
    except ValueError:
        return []
    return cipher().lookup_hashes(canonical)


def users_with_personal_number(personal_number: str) -> list[User]:
    """The users with this personal number, found by its keyed hash (a person may have an
    account at two customers)."""
    hashes = personal_number_hashes(personal_number)
    if not hashes:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.personal_number_hash.in_(hashes)).order_by(User.id)
        )
    )


def find_user_by_personal_number(personal_number: str) -> User | None:
    """The first user with this personal number, or None."""
    users = users_with_personal_number(personal_number)
    return users[0] if users else None


def rotate_encryption() -> dict[str, int]:
    """Re-encrypt every encrypted value under the newest key (the first in
    DATA_ENCRYPTION_KEYS) and rehash the users' personal numbers with it. Afterwards the
    older keys can be removed. Committed in batches; safe to run again, and while the portal
    serves (a row written meanwhile is already under the newest key)."""
    counts = {}
    data = cipher()
    for column in ENCRYPTED_COLUMNS:
        counts[f"{column.class_.__tablename__}.{column.key}"] = _rotate(column, data)
    return counts


def _rotate(attribute, data) -> int:
    table = attribute.class_.__table__
    column = table.c[attribute.key]
    assert isinstance(column.type, Encrypted | EncryptedJSON)
    # Read and write the stored tokens as text: the column's type would decrypt and encrypt.
    stored = (
        select(table.c.id, type_coerce(column, Text()))
        .where(column.is_not(None))
        .order_by(table.c.id)
    )
    done, last_id = 0, 0
    while True:
        rows = db.session.execute(stored.where(table.c.id > last_id).limit(ROTATION_BATCH)).all()
        if not rows:
            return done
        for row_id, token in rows:
            if not token:
                continue
            values = {column.key: literal(data.rotate(token), Text())}
            if attribute is User.personal_number:
                values["personal_number_hash"] = data.lookup_hash(data.decrypt(token))
            db.session.execute(update(table).where(table.c.id == row_id).values(**values))
            done += 1
        last_id = rows[-1][0]
        db.session.commit()
