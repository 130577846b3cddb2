"""The database a DATABASE_URL names, for bin/backup and bin/restore (standard library only).

Prints shell assignments for `eval`: db_kind (postgresql or sqlite), db_target (a libpq URL
without the password, or the SQLite file), db_display (what to tell the operator: never the
password) and db_password (for PGPASSWORD, never on a command line that `ps` shows).
Usage: python bin/lib/database_url.py URL WHAT  (WHAT: "back up", "restore into")
"""

import os
import shlex
import sys
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

url, what = sys.argv[1], sys.argv[2]
scheme, _, rest = url.partition("://")
kind = scheme.split("+", 1)[0].lower()
out = {"kind": kind, "target": "", "display": "", "password": ""}
if kind in ("postgres", "postgresql"):
    parts = urlsplit("postgresql://" + rest)
    query = parse_qsl(parts.query, keep_blank_values=True)
    password = unquote(parts.password or "") or dict(query).get("password", "")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}@{hostport}" if at and user else hostport
    query = urlencode([(k, v) for k, v in query if k != "password"])
    out.update(
        kind="postgresql",
        target=urlunsplit(("postgresql", netloc, parts.path, query, "")),
        display=f"PostgreSQL database {unquote(parts.path.lstrip('/')) or '(default)'}"
        f" on {parts.hostname or 'the local socket'}",
        password=password,
    )
elif kind == "sqlite":
    # sqlite:///relative/path, sqlite:////absolute/path; sqlite:// alone is in memory.
    path = unquote(rest[1:].split("?", 1)[0]) if rest.startswith("/") else ""
    if path in ("", ":memory:"):
        sys.exit(f"DATABASE_URL names an in-memory SQLite database: there is nothing to {what}.")
    path = os.path.abspath(path)
    out.update(target=path, display=f"SQLite database {path}")
else:
    sys.exit(f"DATABASE_URL must be a postgresql:// or sqlite:/// URL, not a {scheme}:// one.")
for name, value in out.items():
    print(f"db_{name}={shlex.quote(value)}")
