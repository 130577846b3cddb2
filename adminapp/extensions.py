"""Unbound extensions, bound to an app in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

from .translation_cache import CachingBabel

babel = CachingBabel()  # catalogues looked up once a request (translation_cache.py)
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()
mail = Mail()
migrate = Migrate(db=db, render_as_batch=True, compare_type=True)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "mail", "migrate"]
