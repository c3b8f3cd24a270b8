"""The file's legal life after intake: closing (zdA) and reopening, retention by trigger
events, legal holds, the archive offer and deletion (xdomea Aussonderung), the court and
lawyer export (Akteneinsicht) and the hand-over to another authority (xdomea Abgabe)."""
