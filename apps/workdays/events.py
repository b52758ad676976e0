"""Business event types of the working calendar (工作日历)."""

from apps.audit.events import register

YEAR_CONFIRMED = register("workdays.year_confirmed", "确认年度工作日历")
YEARS_SEEDED = register("workdays.years_seeded", "导入节假日安排（chinese-calendar）")
