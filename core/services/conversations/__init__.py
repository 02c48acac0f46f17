"""conversations: the inbox, one conversation per person and social account.

Use cases: threads.note_interactions / note_outbound (kept current by ingest and sending), threads.get,
threads.items, threads.windows, threads.mark_read, threads.set_state; echoes.record (messages sent from
the Instagram app); people.refresh (names from the User Profile API).
"""
