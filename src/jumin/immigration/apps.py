from django.apps import AppConfig


class ImmigrationConfig(AppConfig):
    name = "jumin.immigration"
    label = "immigration"
    verbose_name = "入管連携端末・出入国在留管理庁（模擬）"

    def ready(self) -> None:
        # The relay's and the simulated agency's message and query handlers register on import.
        from jumin.immigration import agency, terminal  # noqa: F401
