from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jumin.certificates"
    label = "certificates"
    verbose_name = "証明書"

    def ready(self) -> None:
        # The 広域交付 answerer registers itself with the 住基ネット routing on import.
        # The daily retention purge of the 交付履歴 registers itself with the node's housekeeping.
        from jumin.certificates import kiosk, retention, wide_area  # noqa: F401
