"""HTTP plumbing shared by the HTML pages and the JSON API: identity, errors, headers."""
