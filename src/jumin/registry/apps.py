from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jumin.registry"
    label = "registry"
    verbose_name = "住民記録"

    def ready(self) -> None:
        # The daily CS 抑止マーク resync, 住民票コード pool check and the 150-year purge of the
        # 除票データベース register with the housekeeping.
        from jumin.registry import code_pool, removed_archive_purge, restriction_feed  # noqa: F401
