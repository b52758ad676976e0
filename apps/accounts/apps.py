from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import signals

        user_logged_in.connect(signals.on_user_logged_in, dispatch_uid="accounts.user_logged_in")
        user_login_failed.connect(signals.on_user_login_failed, dispatch_uid="accounts.user_login_failed")
