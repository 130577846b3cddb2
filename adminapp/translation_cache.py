"""Translations looked up once a request, not once a string.

Flask-Babel finds a string's catalogue anew for every `gettext`: the request's context, its
locale, the locale's name as the cache key. A list page asks about a hundred times, which
was a tenth of its time (bench/lists.py). Here each domain keeps the catalogue it found on
the request's Babel context, with the locale it was found for: a locale changed within the
request (`force_locale`, `refresh`) is a new locale object, so it is looked up again.

Flask-Babel keeps what it found (locale, domain, catalogue) on a namespace in `g`, which it
reaches through three `g` proxy lookups on every `gettext`, `get_locale` and date format: a
list page's hundred and twenty were a sixteenth of its time (bench/lists.py). `babel_context`
reaches the same namespace from the application context itself, and Flask-Babel is given it
(`CachingBabel.init_app`).
"""

from __future__ import annotations

from functools import cached_property
from types import SimpleNamespace

import flask_babel
from flask.globals import _cv_app
from flask_babel import Babel, Domain, get_locale


def babel_context() -> SimpleNamespace | None:
    """Flask-Babel's `_get_current_context`: its namespace in this application context's `g`
    (made on first use), None outside one."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    found = app_context.g.__dict__.get("_flask_babel")
    if found is None:
        found = app_context.g._flask_babel = SimpleNamespace()
    return found


def _cached(find_translations, key: str):
    def get_translations():
        ctx = babel_context()
        if ctx is None:
            return find_translations()
        found = ctx.__dict__.get(key)
        locale = ctx.__dict__.get("babel_locale")
        if found is not None and locale is not None and found[0] is locale:
            return found[1]
        translations = find_translations()
        ctx.__dict__[key] = (ctx.__dict__.get("babel_locale"), translations)
        return translations

    return get_translations


class RequestCachedDomain(Domain):
    """A message domain whose catalogue is looked up once a request and locale."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.get_translations = _cached(super().get_translations, f"kp_catalog_{id(self)}")


def cache_per_request(domain: Domain) -> None:
    """Give a domain made elsewhere (Flask-Admin's) the same once-a-request lookup."""
    if not isinstance(domain, RequestCachedDomain):
        domain.get_translations = _cached(domain.get_translations, f"kp_catalog_{id(domain)}")


class CachingBabel(Babel):
    """Flask-Babel whose default domain looks its catalogue up once a request."""

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        flask_babel._get_current_context = babel_context

    @cached_property
    def domain_instance(self):
        return RequestCachedDomain(domain=self.domain)


def locale_name() -> str:
    """`str(get_locale())` ("sv_SE"), worked out once a request: Babel writes the name anew
    each time, and a list page asks for it a dozen times (the keys of its kept parts)."""
    locale = get_locale()
    ctx = babel_context()
    if ctx is None or locale is None:
        return str(locale)
    kept = ctx.__dict__.get("kp_locale_name")
    if kept is None or kept[0] is not locale:  # a locale forced within the request is new
        kept = ctx.kp_locale_name = (locale, str(locale))
    return kept[1]
