"""Settings from the environment, and the two modes."""

import pytest

from adminapp import create_app
from adminapp.config import TEST_ENCRYPTION_KEY, ConfigError, from_environment


def test_production_refuses_to_start_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        from_environment(tmp_path, {"KUNDPORTAL_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"ENVIRON": {"KUNDPORTAL_ENV": "production"}})


def test_production_refuses_to_start_without_the_data_encryption_key(tmp_path):
    production = {"KUNDPORTAL_ENV": "production", "SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigError, match="DATA_ENCRYPTION_KEYS is not set"):
        from_environment(tmp_path, production)
    with pytest.raises(ConfigError, match="DATA_ENCRYPTION_KEYS is not set"):
        create_app({"ENVIRON": production})
    with pytest.raises(ConfigError, match="key 2 is not a Fernet key"):
        from_environment(
            tmp_path, {**production, "DATA_ENCRYPTION_KEYS": f"{TEST_ENCRYPTION_KEY},secret"}
        )
    assert not (tmp_path / "data_encryption_key").exists()  # production writes no key file


def test_development_generates_an_encryption_key_once_and_keeps_it(tmp_path):
    first = from_environment(tmp_path, {})["DATA_ENCRYPTION_KEYS"]
    assert first == from_environment(tmp_path, {})["DATA_ENCRYPTION_KEYS"]
    assert len(first) == 1 and len(first[0]) == 44
    assert (tmp_path / "data_encryption_key").stat().st_mode & 0o777 == 0o600


def test_production_cookies_are_secure(tmp_path):
    config = from_environment(
        tmp_path,
        {
            "KUNDPORTAL_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        },
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = from_environment(tmp_path, {})
    second = from_environment(tmp_path, {})
    assert len(first["SECRET_KEY"]) >= 40
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults(tmp_path):
    config = from_environment(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kundportal.db'}"
    assert config["DISPLAY_TIMEZONE"] == "Europe/Stockholm"
    assert config["KUNDPORTAL_ENV"] == "development"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_environment_is_read(tmp_path):
    config = from_environment(
        tmp_path,
        {
            "DATABASE_URL": "postgresql://u@db:5432/kp",
            "BASE_URL": "https://portal.example.com/",
            "MAIL_SERVER": "smtp.example.com",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
            "DISPLAY_TIMEZONE": "Europe/Oslo",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db:5432/kp"
    assert config["BASE_URL"] == "https://portal.example.com"
    assert config["MAIL_SERVER"] == "smtp.example.com"
    assert config["MAIL_PORT"] == 587
    assert config["MAIL_USE_TLS"] is True
    assert config["DISPLAY_TIMEZONE"] == "Europe/Oslo"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KUNDPORTAL_ENV": "staging"}, "KUNDPORTAL_ENV must be"),
        ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT must be a whole number"),
        ({"DISPLAY_TIMEZONE": "Mars/Olympus"}, "not a known time zone"),
    ],
)
def test_bad_settings_are_explained(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        from_environment(tmp_path, environ)
