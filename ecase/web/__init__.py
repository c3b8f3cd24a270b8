"""Server-rendered pages for staff (German first, English switchable)."""
