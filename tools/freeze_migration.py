"""Finish a migration written by `pwmigrate generate`: what its differ cannot express.

* drops the TODO notes about Python-side defaults (they never reach the schema);
* writes MoneyField columns as plain BigIntegerField (fen), so the migration does not import app code;
* adds every CHECK constraint the models declare, on fields and in Meta.

    .venv/bin/python -m tools.freeze_migration migrations/0002_mall_and_field.py
"""

from __future__ import annotations

import re
import sys

from app.models import MODELS


def freeze(source: str) -> str:
    source = re.sub(r"# TODO: .*default .* must be added by hand\n", "", source)
    source = source.replace("from app.db import MoneyField\n", "")
    source = source.replace("MoneyField(", "BigIntegerField(")
    for model in MODELS:
        table = model._meta.table_name
        marker = f"table_name = '{table}'"
        if marker not in source:
            continue
        block_end = source.index(marker)
        block_start = source.rindex("\n    class ", 0, block_end)
        while source.startswith("\n    class Meta", block_start):
            block_start = source.rindex("\n    class ", 0, block_start)
        block = source[block_start:block_end]
        for field in model._meta.sorted_fields:
            if not field.constraints:
                continue
            match = re.search(rf"(\n        {field.name} = \w+\()(.*)\)\n", block)
            if match is None:  # a stub of a table made by an earlier migration
                continue
            checks = ", ".join(f"SQL({c.sql!r})" for c in field.constraints)
            args = f"{match.group(2)}, " if match.group(2) else ""
            block = (
                block[: match.start()]
                + f"{match.group(1)}{args}constraints=[{checks}])\n"
                + block[match.end() :]
            )
        source = source[:block_start] + block + source[block_end:]
        creates_table = re.search(r"\n        \w+ = \w+\(", block) is not None
        if model._meta.constraints and creates_table:
            checks = ", ".join(f"SQL({c.sql!r})" for c in model._meta.constraints)
            source = source.replace(marker, f"{marker}\n            constraints = [{checks}]", 1)
    return source


def main() -> None:
    for path in sys.argv[1:]:
        with open(path) as fh:
            frozen = freeze(fh.read())
        with open(path, "w") as fh:
            fh.write(frozen)
        print(f"frozen: {path}")


if __name__ == "__main__":
    main()
