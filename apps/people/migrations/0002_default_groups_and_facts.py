"""Default special groups and the household facts counties commonly keep (民情档案). Counties
change, add or switch off any of them in the configuration page; no code change needed."""

from django.db import migrations

GROUPS = [
    ("dibao", "低保户", False, "warning"),
    ("tekun", "特困供养", False, "danger"),
    ("liushou_child", "留守儿童", False, "info"),
    ("kongchao_elder", "空巢老人", False, "secondary"),
    ("alone_elder", "独居老人", False, "secondary"),
    ("disabled", "残疾人", False, "primary"),
    ("monitored", "防返贫监测户", False, "warning"),
    ("veteran", "退役军人", False, "success"),
    ("key_person", "重点人员", True, "dark"),
]

# (key, label, kind, section, choices, unit, min, max)
FACTS = [
    ("homestead_area", "宅基地面积", "decimal", "住房", [], "平方米", 0, 5000),
    ("house_structure", "房屋结构", "choice", "住房", ["砖混", "框架", "砖木", "土木", "其他"], "", None, None),
    ("house_storeys", "房屋层数", "integer", "住房", [], "层", 0, 10),
    ("house_built_year", "建房年份", "integer", "住房", [], "年", 1900, 2100),
    ("house_dangerous", "是否危房", "boolean", "住房", [], "", None, None),
    ("house_approval_date", "建房审批日期", "date", "住房", [], "", None, None),
    ("house_second", "是否有第二处住房", "boolean", "住房", [], "", None, None),
    ("cultivated_area", "耕地面积", "decimal", "土地", [], "亩", 0, 10000),
    ("forest_area", "林地面积", "decimal", "土地", [], "亩", 0, 100000),
    ("land_transferred", "土地流转面积", "decimal", "土地", [], "亩", 0, 10000),
    ("crops", "主要种植作物", "multi_choice", "产业", ["玉米", "水稻", "马铃薯", "烤烟", "蔬菜", "水果", "中药材", "茶叶", "其他"], "", None, None),
    ("livestock", "养殖情况", "text", "产业", [], "", None, None),
    ("cooperative_member", "是否加入合作社", "boolean", "产业", [], "", None, None),
    ("income_source", "主要收入来源", "choice", "收入", ["务农", "务工", "经商", "工资", "养老金", "低保救助", "其他"], "", None, None),
    ("annual_income", "家庭年收入", "decimal", "收入", [], "元", 0, 100000000),
    ("poverty_alleviated", "是否脱贫户", "boolean", "收入", [], "", None, None),
    ("migrant_destination", "外出务工地", "text", "务工", [], "", None, None),
    ("migrant_months", "外出务工月数", "integer", "务工", [], "月", 0, 12),
    ("medical_insurance", "医保参保人数", "integer", "保障", [], "人", 0, 50),
    ("pension_insurance", "养老保险参保人数", "integer", "保障", [], "人", 0, 50),
    ("serious_illness", "是否有大病患者", "boolean", "保障", [], "", None, None),
    ("water_source", "饮水来源", "choice", "生活", ["自来水", "井水", "山泉水", "其他"], "", None, None),
    ("toilet_type", "厕所类型", "choice", "生活", ["水冲式", "卫生旱厕", "普通旱厕", "无"], "", None, None),
    ("cooking_fuel", "主要燃料", "choice", "生活", ["电", "液化气", "沼气", "柴草", "煤"], "", None, None),
    ("has_vehicle", "是否有汽车", "boolean", "生活", [], "", None, None),
    ("broadband", "是否通宽带", "boolean", "生活", [], "", None, None),
    ("garbage_sorting", "是否参与垃圾分类", "boolean", "生活", [], "", None, None),
    ("school_children", "在校学生人数", "integer", "教育", [], "人", 0, 20),
    ("college_students", "大学生人数", "integer", "教育", [], "人", 0, 20),
    ("dropout_risk", "是否有辍学风险", "boolean", "教育", [], "", None, None),
    ("paired_member", "联系党员", "text", "党建", [], "", None, None),
    ("civilized_family", "是否文明家庭", "boolean", "党建", [], "", None, None),
    ("dispute_status", "矛盾纠纷情况", "text", "平安", [], "", None, None),
    ("safety_hazard", "安全隐患", "text", "平安", [], "", None, None),
    ("petition_history", "是否有信访记录", "boolean", "平安", [], "", None, None),
    ("community_corrections", "是否有社区矫正人员", "boolean", "平安", [], "", None, None),
    ("ancestral_origin", "祖籍", "text", "基本情况", [], "", None, None),
    ("ethnic_minority", "是否少数民族户", "boolean", "基本情况", [], "", None, None),
    ("household_phone", "家庭固定电话", "text", "基本情况", [], "", None, None),
    ("last_visit_date", "最近走访日期", "date", "基本情况", [], "", None, None),
    ("needs", "家庭主要诉求", "text", "基本情况", [], "", None, None),
]


def seed(apps, schema_editor):
    SpecialGroup = apps.get_model("people", "SpecialGroup")
    FactDefinition = apps.get_model("people", "FactDefinition")
    for order, (code, name, sensitive, color) in enumerate(GROUPS):
        SpecialGroup.objects.get_or_create(code=code, defaults={"name": name, "sensitive": sensitive, "color": color,
                                                                "order": order * 10})
    for order, (key, label, kind, section, choices, unit, low, high) in enumerate(FACTS):
        FactDefinition.objects.get_or_create(key=key, defaults={
            "label": label, "kind": kind, "section": section, "choices": choices, "unit_label": unit,
            "min_value": low, "max_value": high, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
