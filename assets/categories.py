"""The GB/T 14885 category table: the shipped school-relevant part and a full-table import."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

SHIPPED_TABLE = Path(__file__).parent / "data" / "gbt14885_school.csv"


def shipped_rows() -> list[dict]:
    with SHIPPED_TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def category_rows_upsert(rows: Iterable[dict], *, model) -> int:
    """Create or update categories from rows (code, name, parent, service_life_years, is_special_equipment).

    `model` is passed in so a data migration can use its historical model. Parents come first or
    are resolved after all rows exist. Returns how many rows were written.
    """
    rows = list(rows)
    by_code = {c.code: c for c in model.objects.all()}
    for row in rows:
        code = str(row["code"]).strip()
        fields = {
            "name": str(row["name"]).strip(),
            "service_life_years": int(row.get("service_life_years") or 0),
            "is_special_equipment": str(row.get("is_special_equipment") or "0").strip() in ("1", "true", "True", "是"),
        }
        category = by_code.get(code)
        if category is None:
            category = model.objects.create(code=code, **fields)
            by_code[code] = category
        else:
            for key, value in fields.items():
                setattr(category, key, value)
            category.save()
    for row in rows:
        parent_code = str(row.get("parent") or "").strip()
        category = by_code[str(row["code"]).strip()]
        parent = by_code.get(parent_code) if parent_code else None
        if category.parent_id != (parent.pk if parent else None):
            category.parent = parent
            category.save(update_fields=["parent"])
    return len(rows)
