"""Node-to-node transport: signed envelopes, mutual TLS, outbox, inbox and ordering (docs/network.md)."""
