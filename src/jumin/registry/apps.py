from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jumin.registry"
    label = "registry"
    verbose_name = "住民記録"

    def ready(self) -> None:
        # The daily CS 抑止マーク resync registers itself with the node's housekeeping.
        from jumin.registry import restriction_feed  # noqa: F401
