from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jumin.registry"
    label = "registry"
    verbose_name = "住民記録"

    def ready(self) -> None:
        # The daily CS 抑止マーク resync, 住民票コード pool check and the 150-year purge of the
        # 除票データベース and the program systems' file link (every few minutes)
        # register with the housekeeping. The 支援措置 notice between
        # municipalities (3.4-h) registers its message type, and 電子申請 its query and the 転入予定連絡
        # (7.2.5-a). EUC
        # registers its housekeeping and the task worker's start-up recovery of lost runs. The 入管連携端末's
        # results and 法30条の50 notices register their municipality handlers (immigration_online).
        from jumin.registry import (  # noqa: F401
            code_pool,
            e_applications,
            immigration_online,
            move_in_plans,
            program_link_export,
            removed_archive_purge,
            restriction_feed,
            support_forwarding,
        )
        from jumin.registry.euc import services  # noqa: F401
