"""The link with 出入国在留管理庁: the 入管連携端末 relay (M10) and the simulated agency (O1).

docs/workflows/immigration-link.md, "Online through the 入管連携端末". The municipality's side
(sending the 市町村通知, applying results, storing 法30条の50 notices) is ``jumin.registry``.
"""
