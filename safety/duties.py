"""What the national rules require of this school, and how far its ledgers meet them (safety/rules.py cites them).

Every frequency here counts the days, months and quarters that had nothing: a day without a patrol is a day
short, not a day left out. Figures are over a span from the period's start (or the school's first day on
Houqin, if later, unless a ledger entry is older) to today or the period's end, whichever is sooner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from tenants.metrics import Period

from . import roles as R
from .choices import DrillKind, PatrolKind, Shift, TeamKind
from .models import Drill, FireInspection, MealAccompaniment, Patrol, SecurityTeamMember
from .terms import current_term, today

KINDERGARTEN = "kindergarten"
# GB/T 29315-2022 中小学、幼儿园安全防范要求: 安全保卫人员对校内重点部位和区域每日不少于5次巡查.
PATROLS_A_DAY = 5


@dataclass(frozen=True)
class Profile:
    """The school facts the rules turn on: its kind (学段), whether it boards pupils, its enrolment."""

    kind: str
    boarding: bool
    students: int
    created_on: dt.date | None = None

    @property
    def kindergarten(self) -> bool:
        return self.kind == KINDERGARTEN

    @property
    def fire_key_unit(self) -> bool:
        """消防安全重点单位 by 公安部令第61号 第十三条（五）: boarding schools, 托儿所 and kindergartens."""
        return self.boarding or self.kindergarten

    @property
    def night_fire_patrols(self) -> bool:
        """第二十五条: 寄宿制的学校、托儿所、幼儿园应当加强夜间防火巡查."""
        return self.boarding or self.kindergarten


def _kind_of(school) -> str:
    """School.kind as a SchoolKind value; the free text of older rows (幼儿园) read as its kind."""
    kind = (getattr(school, "kind", "") or "").strip()
    if "幼儿园" in kind or kind.lower() == KINDERGARTEN:
        return KINDERGARTEN
    return kind


def profile(school=None) -> Profile:
    """The current school's profile (a school outside a schema: an empty one, every rule's default)."""
    school = school or R.current_school()
    if school is None:
        return Profile(kind="", boarding=False, students=0)
    kind = _kind_of(school)
    boarding = bool(getattr(school, "boarding", False)) or "寄宿" in (getattr(school, "kind", "") or "")
    created = getattr(school, "created_at", None)
    created_on = timezone.localtime(created).date() if created else None
    return Profile(kind=kind, boarding=boarding, students=school.student_count or 0, created_on=created_on)


def guards_required(*, students: int) -> int:
    """Full-time guards (专职保安员) by enrolment, GB/T 29315-2022 as the standard's published summaries give it:
    fewer than 100 pupils at least 1, up to 999 at least 2, 1,000 at least 3 and one more per further 500
    (a kindergarten the same, by its children). The 100–999 band is not in the summaries we could read; 2 is
    the floor the provincial rules that preceded the standard set (e.g. 湖北: 学校至少应配2名专职保安)."""
    if students < 100:
        return 1
    if students < 1000:
        return 2
    return 3 + (students - 1000) // 500


def guards_on_roster() -> int:
    """Active gate guards of the security roster (门卫/保安员; the teachers' 护校队 do not count)."""
    return SecurityTeamMember.objects.filter(team=TeamKind.GUARD, is_active=True).count()


def guard_shortfall() -> int | None:
    """Guards the enrolment requires that the roster lacks (0 when enough); None without an enrolment."""
    p = profile()
    if not p.students:
        return None
    return max(0, guards_required(students=p.students) - guards_on_roster())


# ---------------------------------------------------------------- spans


def span_of(period: Period | None = None, *, on: dt.date | None = None, first_entry: dt.date | None = None) -> list[dt.date]:
    """The calendar days a frequency is counted over: the period up to `on` (today), not before the school
    joined Houqin unless a ledger entry is older (so a school set up mid-term is not short for days it had no
    ledger, and an imported entry still counts)."""
    period = period or current_term()
    end = min(period.end, on or today())
    start = period.start
    created = profile().created_on
    if created and created > start:
        start = min(created, first_entry) if first_entry else created
    start = max(start, period.start)
    if start > end:
        return []
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _patrol_days(period: Period) -> dict[dt.date, tuple[int, int, int]]:
    """{day: (patrols, fire patrols, night fire patrols)} of the period's days that had any (one query)."""
    start, end = period.datetime_range()
    fire = Q(kind=PatrolKind.FIRE)
    rows = (
        Patrol.objects.filter(started_at__gte=start, started_at__lt=end)
        .annotate(day=TruncDate("started_at")).values("day")
        .annotate(n=Count("pk"), fire=Count("pk", filter=fire), night=Count("pk", filter=fire & Q(shift=Shift.NIGHT)))
        .order_by()
    )
    return {r["day"]: (r["n"], r["fire"], r["night"]) for r in rows}


def patrol_figures(*, period: Period | None = None, on: dt.date | None = None, days_of=None) -> dict:
    """Patrols a day over every calendar day of the span, the days short of 5 (days with none among them), and
    the days without a 防火巡查 and nights without one where the school must patrol for fire (else None)."""
    period = period or current_term()
    per_day = _patrol_days(period) if days_of is None else days_of
    days = span_of(period, on=on, first_entry=min(per_day) if per_day else None)
    count = {d: per_day[d][0] for d in per_day}
    total = sum(count.get(d, 0) for d in days)
    p = profile()
    return {
        "days": len(days),
        "total": total,
        "per_day": round(total / len(days), 2) if days else None,
        "days_short": [d for d in days if count.get(d, 0) < PATROLS_A_DAY],
        "days_none": [d for d in days if not count.get(d)],
        "fire_required": p.fire_key_unit,
        "night_required": p.night_fire_patrols,
        "fire_days_missing": [d for d in days if not per_day.get(d, (0, 0, 0))[1]] if p.fire_key_unit else None,
        "nights_missing": [d for d in days if not per_day.get(d, (0, 0, 0))[2]] if p.night_fire_patrols else None,
    }


def fire_patrol_figures(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Days without a 防火巡查 and (boarding schools, kindergartens) nights without one; None where not required."""
    f = patrol_figures(period=period, on=on)
    return {"required": f["fire_required"], "night_required": f["night_required"],
            "days_missing": f["fire_days_missing"], "nights_missing": f["nights_missing"]}


# ---------------------------------------------------------------- months and quarters


def _months(days: list[dt.date]) -> list[tuple[int, int]]:
    return sorted({(d.year, d.month) for d in days})


def _quarters(days: list[dt.date]) -> list[tuple[int, int]]:
    return sorted({(d.year, (d.month - 1) // 3 + 1) for d in days})


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    return (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


# Drills that evacuate the buildings (the guide's 地震、火灾 … 应急疏散演练); an intruder drill keeps everyone in.
EVACUATING_KINDS = (DrillKind.EVACUATION, DrillKind.FIRE, DrillKind.EARTHQUAKE, DrillKind.FLOOD)


def evacuation_q() -> Q:
    """An evacuation drill: one of the evacuating kinds, or any drill whose evacuation was timed."""
    return Q(kind__in=EVACUATING_KINDS) | Q(evacuation_seconds__isnull=False)


def drill_figures(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Evacuation drills against 教基一厅〔2014〕2号: each month for primary and secondary schools, each quarter
    for kindergartens; the months (quarters) of the span without one, and the drills over the 2-minute target."""
    period = period or current_term()
    on = on or today()
    kindergarten = profile().kindergarten
    drills = Drill.objects.filter(held_on__range=(period.start, min(period.end, on)))
    evacuations = list(drills.filter(evacuation_q()).values_list("held_on", "evacuation_seconds"))
    # Drills count from the period's start: a school new to Houqin still owes the term's earlier drills.
    days = [period.start + dt.timedelta(days=i) for i in range((min(period.end, on) - period.start).days + 1)]
    if kindergarten:
        units = _quarters(days)
        done = {(d.year, (d.month - 1) // 3 + 1) for d, _s in evacuations}
    else:
        units = _months(days)
        done = {(d.year, d.month) for d, _s in evacuations}
    return {
        "cadence": "quarter" if kindergarten else "month",
        "held": drills.count(),
        "evacuations": len(evacuations),
        "required": len(units),
        "missing": [u for u in units if u not in done],
        "over_target": sum(1 for _d, s in evacuations if s is not None and s > Drill.EVACUATION_TARGET_SECONDS),
        "untimed": sum(1 for _d, s in evacuations if s is None),
    }


def fire_inspection_figures(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """防火检查 at least once a quarter (公安部令第61号 第二十六条: 事业单位每季度): the quarters of the span
    without one."""
    period = period or current_term()
    on = on or today()
    last = min(period.end, on)
    days = [period.start + dt.timedelta(days=i) for i in range((last - period.start).days + 1)]
    held = FireInspection.objects.filter(inspected_on__range=(period.start, last)).values_list("inspected_on", flat=True)
    done = {(d.year, (d.month - 1) // 3 + 1) for d in held}
    quarters = _quarters(days)
    return {"held": len(held), "required": len(quarters), "missing": [q for q in quarters if q not in done]}


def school_days(days: list[dt.date]) -> list[dt.date]:
    """Monday to Friday (Houqin has no school calendar yet; holidays count as school days)."""
    return [d for d in days if d.weekday() < 5]


def meal_figures(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Accompanied meals (陪餐) over the span's school days: days with one, days without."""
    period = period or current_term()
    rows = set(MealAccompaniment.objects.filter(on__range=period.range).values_list("on", flat=True))
    days = school_days(span_of(period, on=on, first_entry=min(rows) if rows else None))
    with_meal = [d for d in days if d in rows]
    return {
        "days": len(days),
        "days_with": len(with_meal),
        "rate": len(with_meal) / len(days) if days else None,
        "days_missing": [d for d in days if d not in rows],
    }


def board_standing(*, period: Period | None = None, drills: dict | None = None) -> list[dict]:
    """The safety board's rule lines: each rule's figure now, whether it is met, and the days or periods short.
    `drills`: the board's drill figures (drill_figures / selectors.drills_vs_required), read once."""
    from .rules import RULES

    period = period or current_term()
    p = profile()
    patrols = patrol_figures(period=period)
    drills = drills or drill_figures(period=period)
    inspections = fire_inspection_figures(period=period)
    meals = meal_figures(period=period)
    required = guards_required(students=p.students) if p.students else None
    guards = guards_on_roster()
    quarterly = drills["cadence"] == "quarter"
    evacuations = drills.get("evacuations", drills["held"])
    lines = {
        "safety.patrols_a_day": (patrols["per_day"], len(patrols["days_short"]), not patrols["days_short"]),
        "safety.guards_by_enrolment": (f"{guards} / {required}" if required else guards, None,
                                       None if required is None else guards >= required),
        "safety.evacuation_drill_quarterly" if quarterly else "safety.evacuation_drill_monthly": (
            f"{evacuations} / {drills['required']}", len(drills["missing"]), not drills["missing"]),
        "safety.evacuation_two_minutes": (drills["over_target"], None, not drills["over_target"]),
        "safety.fire_inspection_quarterly": (f"{inspections['held']} / {inspections['required']}",
                                             len(inspections["missing"]), not inspections["missing"]),
        "safety.meal_accompaniment": (meals["rate"], len(meals["days_missing"]),
                                      None if meals["rate"] is None else not meals["days_missing"]),
    }
    if patrols["fire_required"]:
        missing = patrols["fire_days_missing"]
        lines["safety.fire_patrol_daily"] = (None, len(missing), not missing)
    if patrols["night_required"]:
        missing = patrols["nights_missing"]
        lines["safety.night_fire_patrol"] = (None, len(missing), not missing)
    rows = []
    for rule in RULES:
        if rule.code in lines:
            value, short, met = lines[rule.code]
            rows.append({"rule": rule, "value": value, "short": short, "met": met})
    return rows
