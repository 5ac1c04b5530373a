from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import SchoolKind
from .throttle import SerializedSignInMixin


class LoginForm(SerializedSignInMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile phone or username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "class": "form-control", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("The login or password is wrong."),
        "inactive": _("This account has been deactivated."),
    }


class PersonInviteForm(forms.Form):
    """Invite one person by name and phone, with a first role."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=11, min_length=11)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    role = forms.ChoiceField(label=_("Role"))
    post = forms.CharField(label=_("Post"), max_length=50, required=False)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control")


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    post = forms.CharField(label=_("Post"), max_length=50, required=False)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        self.fields["role"].widget.attrs["class"] = "form-select"
        self.fields["post"].widget.attrs["class"] = "form-control"


class RobotChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    provider = forms.ChoiceField(label=_("Provider"))
    webhook_url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("Signing secret (DingTalk, optional)"), max_length=200, required=False)
    kinds = forms.MultipleChoiceField(label=_("Kinds to relay (none = all)"), required=False,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        from .models import RobotProvider
        from .notifications import NOTIFICATION_KINDS

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = RobotProvider.choices
        self.fields["kinds"].choices = [(k, str(v)) for k, v in NOTIFICATION_KINDS.items()]
        for name in ("name", "webhook_url", "secret"):
            self.fields[name].widget.attrs["class"] = "form-control"
        self.fields["provider"].widget.attrs["class"] = "form-select"


class SchoolCreateForm(forms.Form):
    """The platform operator or a bureau creates a school and names its principal."""

    bureau = forms.ModelChoiceField(label=_("Bureau"), queryset=None)
    name = forms.CharField(label=_("School name"), max_length=100)
    slug = forms.CharField(label=_("Host name"), max_length=31,
                           help_text=_("Lowercase letters and digits; the school's address becomes <name>.<domain>."))
    student_count = forms.IntegerField(label=_("Students"), min_value=0, initial=0)
    staff_count = forms.IntegerField(label=_("Teachers and staff"), min_value=0, initial=0)
    kind = forms.ChoiceField(label=_("School kind"), choices=[("", "—"), *SchoolKind.choices], required=False,
                             help_text=_("Decides the rules that bind the school (e.g. drills for a kindergarten)."))
    boarding = forms.BooleanField(label=_("Boarding school"), required=False)
    principal_name = forms.CharField(label=_("Principal's name"), max_length=50)
    principal_phone = forms.CharField(label=_("Principal's mobile phone"), max_length=11, min_length=11)
    principal_email = forms.EmailField(label=_("Principal's e-mail (optional)"), required=False)
    in_background = forms.BooleanField(
        label=_("Prepare in the background and e-mail the link to the principal"), required=False
    )

    def __init__(self, *args, bureaus=None, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["bureau"].queryset = bureaus
        if not settings.EMAIL_ENABLED:
            del self.fields["in_background"]
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control")

    def clean(self):
        data = super().clean()
        if data.get("in_background") and not data.get("principal_email"):
            self.add_error("principal_email", _("The link is e-mailed: give the principal's e-mail."))
        return data


class BureauCreateForm(forms.Form):
    """The platform operator adds a district education bureau."""

    name = forms.CharField(label=_("Bureau name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short lowercase code, e.g. the district's pinyin."))
    region = forms.CharField(label=_("Region"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


class PasswordHelpForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone"), max_length=11,
                            widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "tel"}))
