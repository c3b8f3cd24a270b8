"""Pages of the case file: start page, persons, case page, viewer, search."""
