"""PDF pages in Chinese (reportlab): the CJK font and Code 128 barcodes every printed document
uses. Chinese is set in WenQuanYi Micro Hei from Debian's fonts-wqy-microhei, which .ci/run and
the deployment install (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics.barcode import code128
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WenQuanYiMicroHei"


def cjk_font() -> str:
    """The registered name of the CJK font (registered on first use)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        if not FONT_PATH.exists():
            raise RuntimeError(f"{FONT_PATH} is missing: apt-get install fonts-wqy-microhei")
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))
    return FONT


def barcode(value: str, height: float, bar_width: float) -> code128.Code128:
    """A Code 128 barcode of `value` (draw it with .drawOn(canvas, x, y); .width says how wide)."""
    return code128.Code128(value, barHeight=height, barWidth=bar_width, humanReadable=False)
