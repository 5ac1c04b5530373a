from django import forms
from django.utils.translation import gettext_lazy as _


class StaffImportForm(forms.Form):
    """Upload the staff sheet (.xlsx)."""

    file = forms.FileField(label=_("Staff sheet (.xlsx)"),
                           help_text=_("Columns: name, mobile phone, post, department, roles. The first row is the header."),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}))


class StaffMemberForm(forms.Form):
    """One person's post and department."""

    post = forms.CharField(label=_("Post"), max_length=50, required=False,
                           help_text=_("A known post (门卫, 班主任, 安保队 …) also sets the matching roles."),
                           widget=forms.TextInput(attrs={"class": "form-control"}))
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False,
                                        widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, **kwargs):
        from .models import Department

        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
