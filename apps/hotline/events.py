"""Business event types of the 12345 hotline import."""

from apps.audit.events import register

IMPORT_STARTED = register("hotline.import_started", "上传12345工单")
IMPORT_FINISHED = register("hotline.import_finished", "12345工单导入完成")
