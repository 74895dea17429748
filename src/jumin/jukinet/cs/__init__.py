"""住基ネット 市町村CS (docs/jukinet.md)."""
