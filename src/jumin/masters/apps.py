from django.apps import AppConfig


class MastersConfig(AppConfig):
    name = "jumin.masters"
    label = "masters"
    verbose_name = "マスタ"
