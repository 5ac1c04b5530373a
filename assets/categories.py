"""The GB/T 14885-2022 category table: the shipped school-relevant part and a full-table import.

GB/T 14885-2022 codes are a letter "A" and eight digits in four levels of two digits each: 门类
(A0X000000), 大类 (A0XYY0000), 中类 (A0XYYZZ00) and 小类 (A0XYYZZWW). A level that is not
subdivided is written as "00". assets/data/README.md records where the shipped rows were checked.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

SHIPPED_TABLE = Path(__file__).parent / "data" / "gbt14885_school.csv"

GBT_2022_CODE = re.compile(r"^A\d{8}$")

# The 7-digit codes the first shipped table used (written on the 2010 edition's pattern) and the
# GB/T 14885-2022 category each one became. Frozen: migration 0006 renames or merges rows by it,
# and the asset import still reads these codes in old spreadsheets. Where one 2022 code takes
# several old ones, the old categories were merged (their assets moved, nothing was lost).
LEGACY_CODE_MAP: dict[str, str] = {
    "1000000": "A01000000",  # 土地、房屋及构筑物 -> 房屋和构筑物
    "1020000": "A01010000",  # 房屋
    "1020100": "A01010211",  # 教学及辅助用房 -> 教育用房
    "1020200": "A01010100",  # 行政办公用房 -> 办公用房
    "1020300": "A01010500",  # 生活用房 -> 住宅 (集体宿舍 included)
    "1030000": "A01020000",  # 构筑物
    "2000000": "A02000000",  # 通用设备 -> 设备
    "2010000": "A02010000",  # 计算机设备及软件 -> 信息化设备
    "2010100": "A02010100",  # 计算机设备 -> 计算机
    "2010104": "A02010105",  # 台式计算机
    "2010105": "A02010108",  # 便携式计算机
    "2010106": "A02010109",  # 平板式微型计算机 -> 平板式计算机
    "2010600": "A02021100",  # 输入输出设备 (now under 办公设备)
    "2010601": "A02021000",  # 打印设备 -> 打印机
    "2010602": "A02021104",  # 显示设备 -> 液晶显示器
    "2010609": "A02021118",  # 扫描仪
    "2010700": "A02010300",  # 信息安全设备
    "2011000": "A02010200",  # 网络设备
    "2020000": "A02020000",  # 办公设备
    "2020100": "A02020100",  # 复印机
    "2020200": "A02020200",  # 投影仪
    "2020300": "A02020300",  # 投影幕
    "2020700": "A02020700",  # 电子白板
    "2020900": "A02021301",  # 碎纸机
    "2030000": "A02030000",  # 车辆
    "2040000": "A02040000",  # 图书档案设备
    "2100000": "A02000000",  # 机械设备 -> 设备 (the 2022 大类 code could not be verified)
    "2200000": "A02060000",  # 电气设备
    "2200100": "A02061804",  # 空调机
    "2200200": "A02061801",  # 电冰箱
    "2200300": "A02061818",  # 饮水机 -> 饮水器
    "2200400": "A02061802",  # 电风扇 -> 风扇
    "2200500": "A02061810",  # 洗衣机
    "2310000": "A02080000",  # 通信设备
    "2320000": "A02090000",  # 广播、电视、电影设备
    "2320100": "A02091304",  # 广播设备 -> 会议、广播及音乐欣赏系统
    "2320200": "A02091200",  # 音响设备 -> 音频设备
    "2320300": "A02091001",  # 电视机 -> 普通电视设备（电视机）
    "2320400": "A02091102",  # 摄像机 -> 通用摄像机
    "2400000": "A02100000",  # 仪器仪表
    "2400100": "A02100101",  # 测温仪表 -> 温度仪表
    "3000000": "A02000000",  # 专用设备 -> 设备 (2022 merged general and special equipment)
    "3220000": "A02320000",  # 医疗设备
    "3220100": "A02320000",  # 诊断设备 -> 医疗设备
    "3220200": "A02320000",  # 消毒灭菌设备 -> 医疗设备
    "3310000": "A02340000",  # 安全生产设备
    "3320000": "A02340000",  # 消防设备 -> 安全生产设备
    "3330000": "A02091107",  # 安防监控设备 -> 视频监控设备
    "3400000": "A02100000",  # 教学专用仪器 -> 仪器仪表
    "3400100": "A02100000",  # 实验仪器 -> 仪器仪表
    "3400200": "A05040403",  # 教学模型 -> 教具
    "3410000": "A02450000",  # 文艺设备
    "3410100": "A02450100",  # 乐器
    "3420000": "A02460000",  # 体育设备 -> 体育设备设施
    "3430000": "A02061800",  # 厨房专用设备 -> 生活用电器
    "5000000": "A04000000",  # 图书和档案
    "5010000": "A04010000",  # 图书
    "6000000": "A05000000",  # 家具、用具、装具 -> 家具和用具
    "6010000": "A05010000",  # 家具
    "6010100": "A05010100",  # 床类
    "6010200": "A05010200",  # 台、桌类
    "6010300": "A05010300",  # 椅凳类
    "6010400": "A05010400",  # 沙发类
    "6010500": "A05010500",  # 柜类
    "6010600": "A05010600",  # 架类
    "6019900": "A05010000",  # 其他家具 -> 家具
    "6020000": "A05030000",  # 被服装具 -> 装具
    "6020100": "A05030000",  # 桌椅套 -> 装具
    "6030000": "A05000000",  # 用具 -> 家具和用具
    "6030100": "A05040500",  # 清洁用具 -> 清洁用品
    "8000000": "A07000000",  # 物资(消耗品) -> 物资
    "8010000": "A05040000",  # 办公耗材 -> 办公用品
    "8010100": "A05040101",  # 纸张 -> 复印纸
    "8010200": "A05040200",  # 墨盒硒鼓 -> 硒鼓、粉盒
    "8020000": "A07000000",  # 防疫物资 -> 物资
    "8020100": "A07000000",  # 口罩 -> 物资
    "8020200": "A05040502",  # 消毒用品 -> 消毒杀菌用品
    "8020300": "A07000000",  # 体温计 -> 物资
    "8030000": "A05040500",  # 清洁用品
    "8040000": "A07000000",  # 维修材料 -> 物资
}


def shipped_rows() -> list[dict]:
    with SHIPPED_TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def is_gbt_2022_code(code: str) -> bool:
    return bool(GBT_2022_CODE.match(code))


# GB/T 14885-2022 门类 whose categories are durable but not depreciated (service life 0): 房屋和构筑物 (land
# and buildings), 文物和陈列品, 图书和档案, 特种动植物. Their life 0 means "not depreciated", not "used up within a
# year": their kind follows the price threshold like any durable. Life 0 elsewhere (A05 用品, A07 物资) and a life
# of one year are consumables (a fixed asset lasts over a year, 《事业单位财务规则》第四十条).
NOT_DEPRECIATED_CLASSES = ("A01", "A03", "A04", "A06")


def is_durable(*, code: str, life: int) -> bool:
    """Lasts over a year: a depreciated life over one year, or a not-depreciated durable class (life 0)."""
    if life == 0:
        return code[:3] in NOT_DEPRECIATED_CLASSES
    return life > 1


def kind_for(*, code: str, life: int, special: bool, price, fixed_threshold, special_threshold) -> str:
    """fixed / low_value / consumable by the register's rules (one definition: services and the data migration)."""
    if not is_durable(code=code, life=life):
        return "consumable"
    threshold = special_threshold if special else fixed_threshold
    return "fixed" if price >= threshold else "low_value"


def code_shape_ok(code: str) -> bool:
    """A + eight digits, and no subdivided level under an undivided one ("00" is followed only by "00")."""
    if not is_gbt_2022_code(code):
        return False
    pairs = [code[i:i + 2] for i in range(1, 9, 2)]
    if pairs[0] == "00":
        return False
    seen_empty = False
    for pair in pairs[1:]:
        if pair == "00":
            seen_empty = True
        elif seen_empty:
            return False
    return True


def code_level(code: str) -> int:
    """1 (门类) to 4 (小类) for a GB/T 14885-2022 code; 0 for any other code."""
    if not is_gbt_2022_code(code):
        return 0
    pairs = [code[i:i + 2] for i in range(1, 9, 2)]
    return max(i for i, pair in enumerate(pairs, start=1) if pair != "00" or i == 1)


def structural_parent(code: str) -> str:
    """The code one level up ('' for a 门类 or a code that is not of the 2022 form)."""
    level = code_level(code)
    if level <= 1:
        return ""
    start = 1 + 2 * (level - 1)
    return code[:start] + "0" * (9 - start)


def top_code(code: str) -> str:
    """The 门类 code a category belongs to (the first digit's class for older 7-digit codes)."""
    if is_gbt_2022_code(code):
        return code[:3] + "0" * 6
    return code[:1] + "0" * (len(code) - 1)


def category_rows_upsert(rows: Iterable[dict], *, model) -> int:
    """Create or update categories from rows (code, name, parent, service_life_years, is_special_equipment).

    `model` is passed in so a data migration can use its historical model. Parents come first or
    are resolved after all rows exist. Returns how many rows were written.
    """
    from core.progress import counting

    rows = list(rows)
    by_code = {c.code: c for c in model.objects.all()}
    # counting(): a background import's progress bar follows the rows (nothing listens elsewhere).
    for row in counting(rows):
        code = str(row["code"]).strip()
        fields = {
            "name": str(row["name"]).strip(),
            "service_life_years": int(row.get("service_life_years") or 0),
            "is_special_equipment": str(row.get("is_special_equipment") or "0").strip() in ("1", "true", "True", "是"),
        }
        category = by_code.get(code)
        if category is None:
            category = model.objects.create(code=code, **fields)
            by_code[code] = category
        elif any(getattr(category, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(category, key, value)
            category.save()
    for row in rows:
        parent_code = str(row.get("parent") or "").strip()
        category = by_code[str(row["code"]).strip()]
        parent = by_code.get(parent_code) if parent_code else None
        if category.parent_id != (parent.pk if parent else None):
            category.parent = parent
            category.save(update_fields=["parent"])
    return len(rows)
