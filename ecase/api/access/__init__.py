"""The API of who may do what: the access log for oversight and break-glass."""
