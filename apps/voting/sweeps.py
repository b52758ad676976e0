"""Scheduled work of sunshine voting: the warnings whose cause is the passing of time (filing,
result publication and implementation reports overdue) are raised by this sweep; the services
raise the others at once after each step."""

from __future__ import annotations

from apps.core.sweeps import register


@register("voting_warnings", "阳光票决预警（审议备案、结果公开、实施报告超期）")
def voting_warnings() -> str:
    from .services import warnings_sweep

    checked, raised, resolved = warnings_sweep()
    return f"检查 {checked} 个票决事项，新增预警 {raised} 条，解除 {resolved} 条"
