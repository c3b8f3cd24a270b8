"""Pages of who may do what: signing in, the own account, the access log, break-glass."""
