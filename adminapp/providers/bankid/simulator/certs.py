"""Certificates for the simulator, made with trustme: a CA, a server certificate for
127.0.0.1/localhost, and a client (RP) certificate. Made once per directory, then reused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CA_CERT = "ca.pem"
SERVER_CERT = "server.pem"
SERVER_KEY = "server-key.pem"
CLIENT_CERT = "rp-client.pem"
CLIENT_KEY = "rp-client-key.pem"
ALL_FILES = (CA_CERT, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY)


@dataclass(frozen=True)
class SimulatorCertificates:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / CA_CERT

    @property
    def server_cert(self) -> Path:
        return self.directory / SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.directory / SERVER_KEY

    @property
    def client_cert(self) -> Path:
        return self.directory / CLIENT_CERT

    @property
    def client_key(self) -> Path:
        return self.directory / CLIENT_KEY


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        os.chmod(path, 0o600)


def ensure_certificates(directory: str | os.PathLike) -> SimulatorCertificates:
    """The certificates in `directory`, made there first if any file is missing."""
    certs = SimulatorCertificates(Path(directory))
    if all((certs.directory / name).is_file() for name in ALL_FILES):
        return certs
    import trustme  # development and test only: production never runs the simulator

    certs.directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Kundportal BankID simulator")
    server = ca.issue_cert(
        "127.0.0.1", "localhost", "::1", common_name="BankID simulator (127.0.0.1)"
    )
    client = ca.issue_cert("kundportal-rp.invalid", common_name="Kundportal RP (BankID simulator)")
    _write(certs.ca_cert, ca.cert_pem.bytes())
    _write(certs.server_cert, b"".join(pem.bytes() for pem in server.cert_chain_pems))
    _write(certs.server_key, server.private_key_pem.bytes(), secret=True)
    _write(certs.client_cert, b"".join(pem.bytes() for pem in client.cert_chain_pems))
    _write(certs.client_key, client.private_key_pem.bytes(), secret=True)
    return certs
