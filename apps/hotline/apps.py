from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "apps.hotline"
    label = "hotline"
    verbose_name = "12345热线工单导入"
