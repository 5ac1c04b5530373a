"""QR labels: a printable A4 PDF sheet (segno for the codes, weasyprint for the page)."""

from __future__ import annotations

from collections.abc import Iterable

import segno
from django.template.loader import render_to_string

from core.labels import ASSET, label_token
from tenants.models import School

from .models import Asset


def asset_label_token(school: School, asset: Asset) -> str:
    """The token an asset's label carries: it opens the public report for this asset, and nothing else."""
    return label_token(schema_name=school.schema_name, kind=ASSET, pk=asset.pk)


def qr_url(school: School, asset: Asset) -> str:
    """What a label's QR opens: the asset page when signed in, the public fault report otherwise.

    The number stays in the path (stocktake scanning reads it); the token is what opens the public page.
    """
    return school.url(f"/assets/qr/{asset.asset_number}/?label={asset_label_token(school, asset)}")


def qr_svg_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def labels_pdf(*, school: School, assets: Iterable[Asset]) -> bytes:
    """A4 sheet, 3 × 8 labels a page: asset number, name, room and the QR code."""
    from weasyprint import HTML

    labels = [
        {"asset": asset, "qr": qr_svg_data_uri(qr_url(school, asset))}
        for asset in assets
    ]
    html = render_to_string("assets/labels_pdf.html", {"labels": labels, "school": school})
    return HTML(string=html).write_pdf()
