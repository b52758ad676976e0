"""Business event types of the case module: one per transition, plus configuration."""

from apps.audit.events import register

from .choices import Action

# "cases.<action>" for every step of the state machine, labelled as the timeline labels it.
BY_ACTION: dict[str, str] = {
    action.value: register(f"cases.{action.value}", f"诉求{action.label}") for action in Action
}
INTAKE_RECORDED = register("cases.intake_recorded", "登记接访/议事记录")
CATEGORY_SAVED = register("cases.category_saved", "保存诉求类别")
SLA_SWEPT = register("cases.sla_swept", "诉求超期预警")
HOTLINE_IMPORTED = register("cases.hotline_imported", "导入12345工单")
