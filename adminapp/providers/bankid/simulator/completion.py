"""completionData of a simulated order, with a signature shaped like BankID's.

The signature is XML-DSig around bankIdSignedData, but signed by nothing: the simulator only
needs something that parses and carries what the user saw, so the portal can store it like a
real one.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from .orders import SimOrder

DSIG = "http://www.w3.org/2000/09/xmldsig#"
BANKID = "http://www.bankid.com/signature/v1.0.0/types"


def signature_xml(order: SimOrder) -> str:
    """The signature XML for a completed order (as text, before base64)."""
    root = ET.Element(f"{{{DSIG}}}Signature")
    signed_info = ET.SubElement(root, f"{{{DSIG}}}SignedInfo")
    ET.SubElement(
        signed_info,
        f"{{{DSIG}}}SignatureMethod",
        Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    )
    ET.SubElement(root, f"{{{DSIG}}}SignatureValue").text = "U0lNVUxBVEVE"  # "SIMULATED"
    obj = ET.SubElement(root, f"{{{DSIG}}}Object")
    data = ET.SubElement(obj, f"{{{BANKID}}}bankIdSignedData", Id="bidSignedData")
    if order.user_visible_data is not None:
        visible = ET.SubElement(
            data, f"{{{BANKID}}}usrVisibleData", charset="UTF-8", visible="wysiwys"
        )
        visible.text = base64.b64encode(order.user_visible_data.encode("utf-8")).decode("ascii")
    if order.user_non_visible_data is not None:
        ET.SubElement(data, f"{{{BANKID}}}usrNonVisibleData").text = order.user_non_visible_data
    server = ET.SubElement(data, f"{{{BANKID}}}srvInfo")
    ET.SubElement(server, f"{{{BANKID}}}nonce").text = base64.b64encode(
        secrets.token_bytes(20)
    ).decode("ascii")
    client = ET.SubElement(data, f"{{{BANKID}}}clientInfo")
    ET.SubElement(client, f"{{{BANKID}}}funcId").text = (
        "Signing" if order.kind == "sign" else "Identification"
    )
    ET.SubElement(client, f"{{{BANKID}}}version").text = "U2ltdWxhdG9y"  # "Simulator"
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def completion_data(order: SimOrder) -> dict[str, Any]:
    """What collect returns for the order once complete, as BankID v6.0 shapes it."""
    person = order.person
    uhi = hashlib.sha256(person.personal_number.encode()).digest()[:18]
    data: dict[str, Any] = {
        "user": {
            "personalNumber": person.personal_number,
            "name": person.name,
            "givenName": person.given_name,
            "surname": person.surname,
        },
        "device": {
            "ipAddress": order.end_user_ip,
            "uhi": base64.urlsafe_b64encode(uhi).decode("ascii"),
        },
        "bankIdIssueDate": "2024-03-15",
        "stepUp": {"mrtd": False},
        "signature": base64.b64encode(signature_xml(order).encode("utf-8")).decode("ascii"),
        "ocspResponse": base64.b64encode(
            b"SIMULATED OCSP RESPONSE " + secrets.token_bytes(32)
        ).decode("ascii"),
    }
    if order.return_risk:
        data["risk"] = "low"
    return data
