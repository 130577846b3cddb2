"""Translations looked up once a request, not once a string.

Flask-Babel finds a string's catalogue anew for every `gettext`: the request's context, its
locale, the locale's name as the cache key. A list page asks about a hundred times, which
was a tenth of its time (bench/lists.py). Here each domain keeps the catalogue it found on
the request's Babel context, with the locale it was found for: a locale changed within the
request (`force_locale`, `refresh`) is a new locale object, so it is looked up again.
"""

from __future__ import annotations

from functools import cached_property

from flask_babel import Babel, Domain, _get_current_context


def _cached(find_translations, key: str):
    def get_translations():
        ctx = _get_current_context()
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

    @cached_property
    def domain_instance(self):
        return RequestCachedDomain(domain=self.domain)
