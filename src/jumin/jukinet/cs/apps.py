from django.apps import AppConfig


class CsConfig(AppConfig):
    name = "jumin.jukinet.cs"
    label = "jukinet_cs"
    verbose_name = "住基ネット 市町村CS"

    def ready(self) -> None:
        # Message and query types this node kind handles register themselves on import.
        from jumin.jukinet.cs import messages  # noqa: F401
