from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.access import bureaus_for, is_platform_operator
from tenants.models import Bureau, School

from .choices import Event, Scope


class PartnerClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    kind = forms.CharField(label=_("Kind"), max_length=50, required=False,
                           help_text=_("e.g. property company, procurement platform, CCTV vendor"),
                           widget=forms.TextInput(attrs={"class": "form-control"}))
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    bureau = forms.ModelChoiceField(label=_("Managing bureau"), queryset=Bureau.objects.none(), required=False,
                                    widget=forms.Select(attrs={"class": "form-select"}))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    grant_bureau = forms.ModelChoiceField(
        label=_("Grant every school of this bureau (including schools added later)"),
        queryset=Bureau.objects.none(), required=False, widget=forms.Select(attrs={"class": "form-select"}),
    )
    schools = forms.ModelMultipleChoiceField(label=_("Granted schools"), queryset=School.objects.none(),
                                             required=False, widget=forms.SelectMultiple(
                                                 attrs={"class": "form-select", "size": 8}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, user, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        bureaus = bureaus_for(user).order_by("name")
        self.fields["grant_bureau"].queryset = bureaus
        self.fields["schools"].queryset = (
            School.objects.exclude(schema_name="public").filter(bureau__in=bureaus).order_by("bureau__name", "name")
        )
        if is_platform_operator(user) and client is None:
            self.fields["bureau"].queryset = bureaus
        else:
            del self.fields["bureau"]
        if client is None:
            del self.fields["is_active"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))
    expires_in_days = forms.IntegerField(label=_("Expires in (days)"), min_value=1, max_value=3650, required=False,
                                         help_text=_("Leave empty for a token that does not expire."),
                                         widget=forms.NumberInput(attrs={"class": "form-control"}))


class SubscriptionForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, widget=forms.URLInput(attrs={"class": "form-control"}))
    events = forms.MultipleChoiceField(label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)
