"""Printable PDFs of the ledgers (weasyprint, with a CJK font stack so Chinese prints as Chinese)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone


def pdf_bytes(*, template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "printed_at": timezone.localtime()})
    return HTML(string=html).write_pdf()


def pdf_response(*, filename: str, template: str, context: dict) -> HttpResponse:
    response = HttpResponse(pdf_bytes(template=template, context=context), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}.pdf"
    return response
