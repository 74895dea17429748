"""住基ネット: 市町村CS (``cs``), 都道府県サーバ (``prefecture``) and the national side (``national``).

One sub-app per node kind (architecture.md §2). They never import each other (import-linter); they
share only ``common``: pure-Python message schemas that every node kind must read the same way.
Flows as message sequences: docs/jukinet.md.
"""
