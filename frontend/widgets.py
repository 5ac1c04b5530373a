"""The date and date-time inputs every form uses.

A browser's ``<input type="date">`` accepts only ``YYYY-MM-DD`` as its value and ``type="datetime-local"``
only ``YYYY-MM-DDTHH:MM``; anything else and the field opens blank (and, when required, blocks saving).
Django's widgets otherwise render the active language's first input format, which for zh-Hans is
``2026/12/04``. These widgets render the ISO form whatever the language; the fields parse it in every
language, since Django always accepts the ISO input formats.
"""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """``<input type="date">`` with its value as ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">`` with its value as ``YYYY-MM-DDTHH:MM`` in the current time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATETIME)
