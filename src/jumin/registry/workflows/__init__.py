"""住民記録 workflows other than 転入: one module per 異動, each a service with one authorize(), one
transaction and one audit entry, committed by another clerk through ``services.commit_change``."""
