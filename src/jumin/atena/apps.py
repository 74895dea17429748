from django.apps import AppConfig


class AtenaConfig(AppConfig):
    name = "jumin.atena"
    label = "atena"
    verbose_name = "団体内統合宛名"

    def ready(self) -> None:
        # The delivery from the registry's outbox registers itself as a step of the task worker.
        from jumin.atena import tasks  # noqa: F401
