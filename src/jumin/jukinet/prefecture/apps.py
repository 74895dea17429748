from django.apps import AppConfig


class PrefectureConfig(AppConfig):
    name = "jumin.jukinet.prefecture"
    label = "jukinet_prefecture"
    verbose_name = "住基ネット 都道府県サーバ"

    def ready(self) -> None:
        # Message and query types this node kind handles register themselves on import.
        from jumin.jukinet.prefecture import messages  # noqa: F401
