from django import forms
from django.utils.translation import gettext_lazy as _


class StaffImportForm(forms.Form):
    """Upload the staff sheet (.xlsx)."""

    file = forms.FileField(label=_("Staff sheet (.xlsx)"),
                           help_text=_("Columns: name, mobile phone, post, department, roles. The first row is the header."),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}))
