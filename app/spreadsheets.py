"""Spreadsheets people upload (staff imports, a dealer's quick order): an .xlsx is judged from its
zip directory before openpyxl inflates anything. No Flask here: every surface may use it."""

from __future__ import annotations

import io
import zipfile

from app.errors import ValidationFailed

# An upload's archive, judged from its directory before openpyxl inflates anything (a 200 KB
# "zip bomb" can hold a 200 MB sharedStrings part, which openpyxl reads whole into memory).
# zipfile itself stops a part at the size the directory declares, so the declared sizes hold.
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
MAX_XLSX_PART = 32 * 1024 * 1024
MAX_XLSX_PARTS = 1000
MAX_XLSX_RATIO = 200  # uncompressed / compressed, for parts over a megabyte


def check_archive(data: bytes) -> None:
    """Refuse a workbook whose parts would inflate beyond what an import ever needs.

    Raises: ValidationFailed.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationFailed(
            "文件不是有效的 Excel (.xlsx) 文件", file=["请上传 .xlsx 文件"]
        ) from None
    if len(parts) > MAX_XLSX_PARTS:
        raise ValidationFailed("Excel 文件的内部结构异常（部件过多），无法导入", file=["文件异常"])
    total = sum(p.file_size for p in parts)
    swollen = any(
        p.file_size > MAX_XLSX_PART
        or (p.file_size > 1024 * 1024 and p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1))
        for p in parts
    )
    if total > MAX_XLSX_UNCOMPRESSED or swollen:
        raise ValidationFailed(
            "Excel 文件解压后过大或压缩比异常，无法导入；请删去多余的内容后重新上传",
            file=["文件解压后过大"],
        )
