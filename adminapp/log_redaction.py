"""No emailed link's token in a log line: request lines in access logs (Werkzeug's in
development, gunicorn's in production) and the app's own messages are redacted.

The portal's pages redirect a link's first request to an address without its token
(views/public/link_tokens.py); this catches that first request, which every server logs.
"""

from __future__ import annotations

import logging
import re

# The addresses emailed links open (their tokens are 43 URL-safe characters; the handles of
# /…/l/<handle> pages and words like /sign/signed are not tokens).
LINK_TOKEN = re.compile(
    r"(/password/(?:set|reset)/|/register/confirm/|/sign/|/attest/)(?!l/)([A-Za-z0-9_\-]{24,})"
)
REDACTED = r"\1[token]"
# The address an OpenID Connect provider sends the browser back to (views/public/oidc.py):
# its code and state are worth a login until used, so their values go too.
OIDC_CALLBACK = re.compile(r"/login/oidc/[^/?\s]+/callback\?[^\s\"]*")
OIDC_SECRET_PARAMETER = re.compile(r"([?&](?:code|state)=)[^&\s\"]*")
# Personal numbers: Swedish (YYMMDD-NNNN, YYYYMMDDNNNN, with or without the dash or plus) and
# Norwegian (11 digits), standing alone (not inside a handle or a number). A phone number
# written as +46… goes too: it is personal as well.
PERSONAL_NUMBER = re.compile(
    r"(?<![\w.])(?:\d{6}|\d{8})[-+]?\d{4}(?![\w.])|(?<![\w.])\d{11}(?![\w.])"
)
LOGGERS = (
    "werkzeug",
    "gunicorn.access",
    "gunicorn.error",
    "adminapp",
    "kundportal.outbox",
    "kundportal.sms",
)


def redact(text: str) -> str:
    text = PERSONAL_NUMBER.sub("[personal number]", LINK_TOKEN.sub(REDACTED, text))
    return OIDC_CALLBACK.sub(lambda m: OIDC_SECRET_PARAMETER.sub(r"\1[redacted]", m.group()), text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install() -> None:
    """Put the filter on the loggers that write request paths (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
