"""Business event types of the Open311 module (API clients and the requests they submit)."""

from apps.audit.events import register

CLIENT_CREATED = register("open311.client_created", "新建开放接口客户端")
CLIENT_DEACTIVATED = register("open311.client_deactivated", "停用开放接口客户端")
REQUEST_SUBMITTED = register("open311.request_submitted", "开放接口提交诉求")
REQUEST_FAILED = register("open311.request_failed", "开放接口诉求未能创建")
