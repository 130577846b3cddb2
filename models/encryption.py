"""Personal data encrypted at rest: personal numbers and the e-ID evidence that holds them.

Columns of type `Encrypted` (a string) and `EncryptedJSON` (a dict) are written as Fernet
tokens (AES-128-CBC with HMAC-SHA256, from `cryptography`) and read back in clear, so a copy
of the database file, a dump or a backup shows no personal number. The keys come from the
environment (`DATA_ENCRYPTION_KEYS`, newest first): the newest encrypts, any of them decrypts,
and `flask encryption rotate` re-encrypts every row under the newest.

An encrypted column cannot be searched, so what must be found by personal number also keeps
a keyed hash of it (HMAC-SHA256 with a key derived from each encryption key): `lookup_hashes`
gives the hashes under every configured key, so a lookup works while a rotation runs.

The cipher is the app's (`current_app.extensions["data_cipher"]`, set by the factory): every
database session runs inside an app context.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

EXTENSION = "data_cipher"


class DataCipher:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one data encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        # The lookup hash's key is derived from, never equal to, the encryption key.
        self._hash_keys = [
            hashlib.sha256(b"kundportal lookup hash\x00" + base64.urlsafe_b64decode(key)).digest()
            for key in keys
        ]

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: str) -> str:
        """The same value encrypted under the newest key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def lookup_hash(self, value: str) -> str:
        """The keyed hash under the newest key: what is stored."""
        return self._hash(self._hash_keys[0], value)

    def lookup_hashes(self, value: str) -> list[str]:
        """The keyed hashes under every key: what a lookup matches."""
        return [self._hash(key, value) for key in self._hash_keys]

    @staticmethod
    def _hash(key: bytes, value: str) -> str:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def cipher() -> DataCipher:
    return current_app.extensions[EXTENSION]


def is_key(key: str) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


class Encrypted(TypeDecorator):
    """A string stored encrypted; empty strings and NULL stay as they are (nothing to hide)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return cipher().encrypt(value) if value else value

    def process_result_value(self, value, dialect):
        return _decrypted(value) if value else value


class EncryptedJSON(TypeDecorator):
    """A JSON document stored encrypted (e-ID evidence: it names the person)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else cipher().encrypt(json.dumps(value, sort_keys=True))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(_decrypted(value))


def _decrypted(token: str) -> str:
    try:
        return cipher().decrypt(token)
    except InvalidToken as exc:
        # A key that was removed from DATA_ENCRYPTION_KEYS before `flask encryption rotate`.
        raise RuntimeError(
            "A stored value cannot be decrypted with any key in DATA_ENCRYPTION_KEYS: "
            "keep the old key (after the new one) until `flask encryption rotate` has run."
        ) from exc
