from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jumin.registry"
    label = "registry"
    verbose_name = "住民記録"

    def ready(self) -> None:
        # The daily CS 抑止マーク resync and 住民票コード pool check register with the housekeeping.
        from jumin.registry import code_pool, restriction_feed  # noqa: F401
