from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "jumin.jukinet.national"
    label = "jukinet_national"
    verbose_name = "住基ネット 全国サーバ・個人番号カード管理"

    def ready(self) -> None:
        # Message and query types this node kind handles register themselves on import.
        from jumin.jukinet.national import messages  # noqa: F401
