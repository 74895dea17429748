from django.apps import AppConfig


class ProvisionConfig(AppConfig):
    name = "jumin.jukinet.prefecture.provision"
    label = "jukinet_provision"
    verbose_name = "都道府県 提供・移転・開示"
