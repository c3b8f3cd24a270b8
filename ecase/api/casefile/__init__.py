"""The API of the case file: persons, case files, documents, notes and search."""
