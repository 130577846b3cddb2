"""Pages about the portal itself: the accessibility statement (Swedish and Norwegian public
bodies must publish one for the services they use, under the EU web accessibility
directive)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("about", __name__)


@bp.get("/accessibility")
def accessibility():
    return render_template("about/accessibility.html")
