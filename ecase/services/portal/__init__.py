"""The applicant's side: invitations, portal sign-in, uploads and messages from applicants,
and appointment slots and bookings; never reachable with a staff session."""
