"""A page's title is words: WeChat shows it in its top bar, the browser in its tab."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TITLE = re.compile(r"\{%-? block title -?%\}(.*?)\{%-? endblock", re.S)


def test_no_template_puts_markup_in_a_page_title():
    templates = [p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 50
    marked = {
        str(path.relative_to(ROOT)): title
        for path in templates
        for title in TITLE.findall(path.read_text(encoding="utf-8"))
        if "<" in title
    }
    assert marked == {}
