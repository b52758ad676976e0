from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares its business event types in events.py and its scheduled jobs in
        # sweeps.py; load them all so registries are complete in every process.
        autodiscover_modules("events")
        autodiscover_modules("sweeps")
