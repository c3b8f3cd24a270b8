"""The person-centred case file: persons, case files, documents, Aktenvermerke, page images,
the views handed to pages and API, the workspace and full-text search within one's scope."""
