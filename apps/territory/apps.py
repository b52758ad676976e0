from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "apps.territory"
    label = "territory"
    verbose_name = "区划与网格"
