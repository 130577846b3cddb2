"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 12
_COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher_for(
        config["PASSWORD_HASH_TIME_COST"],
        config["PASSWORD_HASH_MEMORY_KIB"],
        config["PASSWORD_HASH_PARALLELISM"],
    )


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. With no hash, still spends the time of one check."""
    hasher = _hasher()
    if not password_hash:
        # Same cost as a real check, so response time does not tell which emails exist.
        _dummy_check(hasher, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def _dummy_check(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(_dummy_hash(hasher), password)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a password anyone has")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    if not _COMMON_PASSWORDS_FILE.exists():
        return frozenset()
    lines = _COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why `password` may not be used; empty when it may."""
    problems = []
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        problems.append(_("The password may not be your email address."))
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        problems.append(_("The password may not be your name."))
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.append(_("This password is too common; choose one that is harder to guess."))
    return problems
