"""Who may do what, and the record of who did: the policy's glue, the tamper-evident access
log, break-glass, users, passwords, sessions, the second factor and revocation."""
