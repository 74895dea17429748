from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jumin.certificates"
    label = "certificates"
    verbose_name = "証明書"

    def ready(self) -> None:
        # The 広域交付 answerer registers itself with the 住基ネット routing on import.
        # The daily retention purge of the 交付履歴 registers itself with the node's housekeeping.
        # The 証明書交付センター's tallies (KIOSK_TALLY) are kept by certificates.kiosk_tallies.
        from jumin.certificates import kiosk, kiosk_tallies, retention, wide_area  # noqa: F401
