"""Use cases: each public function is one transaction, audited, authorised by the policy."""
