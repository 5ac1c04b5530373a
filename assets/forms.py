"""Forms of the assets pages (rendered with includes/form.html)."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontend.widgets import DateInput
from schools.models import Department, Room
from tenants.models import User
from tenants.selectors import member_list_for

from .choices import AcceptanceStage, AssetKind, Condition, DisposalMethod, ProcurementForm, Resolution
from .models import Asset, Category, ConsumableItem, Supplier


class BootstrapMixin:
    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def school_users(school, keep=()):
    """The people of this school a form may name (and whoever the record already names, in `keep`)."""
    return member_list_for(actor=None, school=school, keep=keep)


class AssetFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *AssetKind.choices])
    condition = forms.ChoiceField(label=_("Condition"), required=False, choices=[("", _("All conditions")), *Condition.choices])
    category = forms.CharField(label=_("Category code"), required=False)
    room = forms.ModelChoiceField(label=pgettext_lazy("asset", "Room"), required=False, queryset=Room.objects.select_related("building"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class AssetForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Asset
        fields = [
            "name", "category", "kind", "brand", "model", "spec", "serial_number", "unit_price", "quantity", "unit",
            "original_value", "booked_on", "invoice_number", "funding_source", "procurement_form", "supplier",
            "warranty_end", "department", "user", "use", "room", "service_life_years", "notes",
        ]
        widgets = {"booked_on": DateInput(), "warranty_end": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False
        self.fields["original_value"].required = False
        self.fields["user"].queryset = school_users(school, keep=[self.instance.user_id])
        self.fields["room"].queryset = Room.objects.select_related("building")
        self._style()


class LoanForm(BootstrapMixin, forms.Form):
    borrower = forms.ModelChoiceField(label=_("Borrower"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=200)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = school_users(school)
        self._style()


class BorrowForm(BootstrapMixin, forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    purpose = forms.CharField(label=_("Purpose"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ReturnForm(BootstrapMixin, forms.Form):
    condition_note = forms.CharField(label=_("Condition on return"), required=False, max_length=200)
    damaged = forms.BooleanField(label=_("Damaged: send to repair"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TransferForm(BootstrapMixin, forms.Form):
    to_department = forms.ModelChoiceField(label=_("To department"), queryset=Department.objects.all(), required=False)
    to_room = forms.ModelChoiceField(label=_("To room"), queryset=Room.objects.select_related("building"), required=False)
    to_user = forms.ModelChoiceField(label=_("To user"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = school_users(school)
        self._style()


class DisposalForm(BootstrapMixin, forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=DisposalMethod.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    justification = forms.CharField(
        label=_("Justification for early disposal"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when scrapping or writing off before the minimum service life."),
    )
    proceeds = forms.DecimalField(label=_("Proceeds"), required=False, min_value=0, max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ConsumableItemForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ConsumableItem
        fields = ["name", "spec", "category", "unit", "unit_price", "reorder_level", "room"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class StockForm(BootstrapMixin, forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class RequisitionForm(BootstrapMixin, forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=ConsumableItem.objects.all())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class PurchaseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    channel = forms.ChoiceField(label=_("Procurement channel"), choices=ProcurementForm.choices)
    funding_source = forms.CharField(label=_("Funding source"), max_length=50, required=False)
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.all(), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class PurchaseLineForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    spec = forms.CharField(label=_("Specification"), max_length=100, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    unit = forms.CharField(label=_("Unit"), max_length=10, initial="台")
    estimated_unit_price = forms.DecimalField(label=_("Estimated unit price"), min_value=0, max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


PurchaseLineFormSet = formset_factory(PurchaseLineForm, extra=3, min_num=1, validate_min=True)


class DecisionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class AcceptanceForm(BootstrapMixin, forms.Form):
    members = forms.ModelMultipleChoiceField(label=_("Acceptance members"), queryset=User.objects.none())
    actual_user = forms.ModelChoiceField(label=_("Actual user"), queryset=User.objects.none())
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput())
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=40, required=False)
    room = forms.ModelChoiceField(label=_("Delivered to room"), queryset=Room.objects.select_related("building"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    plan = forms.CharField(label=_("Acceptance plan"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Time, method and procedure of the acceptance (财库〔2016〕205号)."))
    stage = forms.ChoiceField(label=_("Acceptance stage"), required=False, choices=AcceptanceStage.choices)
    agent = forms.CharField(label=_("Procurement agent that accepted"), max_length=100, required=False)
    buyer_confirmation = forms.CharField(label=_("Buyer's written confirmation"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, school=None, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        users = school_users(school)
        self.fields["members"].queryset = users
        self.fields["actual_user"].queryset = users
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"accepted_{line.pk}"] = forms.IntegerField(
                label=_("%(name)s: accepted (open %(open)s)") % {"name": line.name, "open": line.open_quantity},
                min_value=0, initial=0,
            )
            self.fields[f"rejected_{line.pk}"] = forms.IntegerField(
                label=_("%(name)s: rejected") % {"name": line.name}, min_value=0, initial=0
            )
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=_("%(name)s: actual unit price") % {"name": line.name}, min_value=0, max_digits=14,
                decimal_places=2, initial=line.estimated_unit_price,
            )
        self._style()


class StocktakeForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    planned_on = forms.DateField(label=_("Planned on"), widget=DateInput())
    rooms = forms.ModelMultipleChoiceField(label=pgettext_lazy("stocktake", "Rooms"), queryset=Room.objects.select_related("building"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["rooms"].widget.attrs["size"] = 10


class ScanForm(BootstrapMixin, forms.Form):
    # Empty only for an item without any label, recorded as not on the books with what it is.
    code = forms.CharField(label=_("Asset number or QR"), max_length=200, required=False)
    surplus = forms.BooleanField(
        label=_("Not on the books"), required=False,
        help_text=_("An item found here that has no card: say what it is; the number may stay empty."),
    )
    description = forms.CharField(label=_("What it is"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["code"].widget.attrs.update({"autofocus": True, "inputmode": "text", "autocomplete": "off",
                                                 "data-scan-code": True})

    def clean(self):
        data = super().clean()
        if not data.get("code", "").strip() and not data.get("surplus"):
            self.add_error("code", _("Scan or type an asset number."))
        if data.get("surplus") and not data.get("description", "").strip():
            self.add_error("description", _("Say what the item is."))
        return data


class ResolveForm(forms.Form):
    code = forms.CharField(max_length=60)
    action = forms.ChoiceField(choices=Resolution.choices)


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
    mapping = forms.CharField(
        label=_("Column mapping"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional, one per line: your column = field, e.g. Device name = name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_mapping(self) -> dict[str, str]:
        from .imports import COLUMNS

        mapping = {}
        for line in self.cleaned_data["mapping"].splitlines():
            if not line.strip():
                continue
            source, sep, target = line.partition("=")
            target = target.strip()
            if not sep or (target and target not in COLUMNS):
                raise forms.ValidationError(_("Cannot read the mapping line: %(line)s") % {"line": line})
            mapping[source.strip()] = target
        return mapping


class CategoryImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Category table (.xlsx: code, name, parent, service life, special equipment)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
