"""The caseworker's desk: Wiedervorlagen (follow-ups), Fristen (deadlines by §§ 187–193 BGB),
the Geschäftsgang with Mitzeichnung, residence titles that drive follow-ups, and e-mail
intake into the Posteingang."""
