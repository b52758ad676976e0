"""Business event types of resident records."""

from apps.audit.events import register

HOUSEHOLD_CREATED = register("people.household_created", "新建户")
HOUSEHOLD_UPDATED = register("people.household_updated", "修改户信息")
RESIDENT_CREATED = register("people.resident_created", "新建居民")
RESIDENT_UPDATED = register("people.resident_updated", "修改居民信息")
PII_REVEALED = register("people.pii_revealed", "查看完整个人信息")
PATROL_RECORDED = register("people.patrol_recorded", "登记巡查走访")
IMPORT_STARTED = register("people.import_started", "开始导入档案")
IMPORT_FINISHED = register("people.import_finished", "档案导入完成")
EXPORTED = register("people.exported", "导出档案")
CONFIG_CHANGED = register("people.config_changed", "修改档案配置")
# The demo loader (apps/demo/people.py) bulk-creates synthetic records: one event for the whole
# load instead of an audit record per row.
DEMO_LOADED = register("people.demo_loaded", "加载演示档案")
KEYS_ROTATED = register("people.keys_rotated", "轮换个人信息加密密钥")
