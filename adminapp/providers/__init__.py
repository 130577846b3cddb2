"""Adapters to the outside world used by strong authentication: SMS gateways, BankID.

Nothing here touches the database or the request; services call these with plain values.
"""
