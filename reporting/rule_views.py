"""The bureau's rules page: the register with sources, the local values, and each school's standing."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from core.rules import Enforcement, Standing
from frontend.excel import xlsx_response
from frontend.lists import wants_export
from tenants.access import bureau_view

from . import selectors, services
from .standing import rule_table


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bureau_view
def rules(request):
    """Every rule of the register: source, requirement, whom it binds, the value that applies, each school's standing."""
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    terms = list(selectors.terms_of(user=request.user, bureau=bureau))
    term = next((t for t in terms if str(t.pk) == request.GET.get("term")), None) or services.term_current(bureau=bureau)
    schools, rows = rule_table(user=request.user, bureau=bureau, term=term)
    labels = dict(Standing.choices)
    enforcement = dict(Enforcement.choices)
    if wants_export(request):
        headers = [_("Rule"), _("Source"), _("Requires"), _("Enforced by"), _("Value that applies"),
                   *[s.name for s in schools]]
        data = ([str(r.rule.title), r.rule.citation, str(r.rule.requires), str(enforcement[r.rule.enforcement]),
                 "" if r.limit is None else str(r.limit), *[str(labels[st]) for _s, st, _v in r.standings]]
                for r in rows)
        return xlsx_response(filename=f"{bureau.name}-{term.name}-规则达标", headers=headers, rows=data,
                             title=_("Rules and standing"), school=bureau, term=term.name)
    for row in rows:
        row.cells = [(school, standing, str(labels[standing]), value) for school, standing, value in row.standings]
        row.enforcement_label = enforcement[row.rule.enforcement]
    return render(request, "reporting/rules.html", {"bureau": bureau, "term": term, "terms": terms,
                                                    "schools": schools, "rows": rows})
