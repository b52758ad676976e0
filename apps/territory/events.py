"""Business event types of the territory module."""

from apps.audit.events import register

UNITS_IMPORTED = register("territory.units_imported", "导入区划")
UNIT_CREATED = register("territory.unit_created", "新建单位")
UNIT_RENAMED = register("territory.unit_renamed", "单位更名")
GRID_CREATED = register("territory.grid_created", "新建网格")
GRID_UPDATED = register("territory.grid_updated", "修改网格")
GRID_BOUNDARY_SET = register("territory.grid_boundary_set", "设定网格边界")
GRIDDER_ASSIGNED = register("territory.gridder_assigned", "指派网格员")
GRIDDER_REMOVED = register("territory.gridder_removed", "撤销网格员")
ORG_CREATED = register("territory.org_created", "新建机构")
