"""The SMS gateway and BankID client of an app, made once from its settings."""

from __future__ import annotations

from flask import current_app

from .providers.bankid import BankIDClient, bankid_client_from_config
from .providers.sms import SmsGateway, sms_gateway_from_config


def sms_gateway() -> SmsGateway:
    extensions = current_app.extensions
    if "kundportal_sms" not in extensions:
        extensions["kundportal_sms"] = sms_gateway_from_config(current_app.config)
    return extensions["kundportal_sms"]


def bankid_client() -> BankIDClient:
    extensions = current_app.extensions
    if "kundportal_bankid" not in extensions:
        extensions["kundportal_bankid"] = bankid_client_from_config(current_app.config)
    return extensions["kundportal_bankid"]
