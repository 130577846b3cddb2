"""The README and docs/ explain the repository from inside it: every link points at a file
(and heading) in the repository, none outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = CODE.sub("", path.read_text()) if path.suffix == ".md" else ""
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ +(.+)$", text, re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_stays_inside_the_repository_and_arrives(document):
    links = LINK.findall(CODE.sub("", document.read_text()))
    assert links or document.name in {"oidc.md"}, "no links found: is the pattern right?"
    for link in links:
        assert not re.match(r"^[a-z][a-z+.-]*:", link), f"{link}: leaves the repository"
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        assert path.is_relative_to(ROOT), f"{link}: outside the repository"
        assert path.exists(), f"{link}: no such file"
        if anchor:
            assert anchor in _anchors(path), f"{link}: no heading #{anchor} in {path.name}"
