"""Staff accounts (職員), roles and grants. The security foundation (issue 3) fills this app."""
