"""Flask-Babel reaches its per-request namespace through `babel_context`
(adminapp/translation_cache.py), which must behave as its own `_get_current_context`."""

from __future__ import annotations

import flask_babel
from flask_babel import force_locale, get_locale, gettext

from adminapp.translation_cache import babel_context


def test_flask_babel_uses_it(app):
    assert flask_babel._get_current_context is babel_context


def test_one_namespace_an_application_context(app):
    assert babel_context() is None  # outside any context
    with app.app_context():
        first = babel_context()
        assert first is babel_context()
        with app.app_context():  # a context of its own
            assert babel_context() is not first
        assert babel_context() is first


def test_each_request_reads_in_its_own_language(app):
    for language, word in (("sv", "Beställningar"), ("nb", "Ordre"), ("en", "Orders")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            assert get_locale().language == language
            assert gettext("Orders") == word
            with force_locale("en"):  # a locale forced within the request (emails)
                assert gettext("Orders") == "Orders"
            assert gettext("Orders") == word


def test_the_locales_name_is_kept_for_the_locale_it_names(app):
    from adminapp.translation_cache import locale_name

    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert locale_name() == locale_name() == "sv_SE"
        with force_locale("nb_NO"):  # an email in its reader's language, mid-request
            assert locale_name() == "nb_NO"
        assert locale_name() == "sv_SE"
