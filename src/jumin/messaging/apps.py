from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "jumin.messaging"
    label = "messaging"
    verbose_name = "ノード間連携"

    def ready(self) -> None:
        # Built-in message types (node.probe and the control messages) register themselves on import.
        from jumin.messaging import messages  # noqa: F401
