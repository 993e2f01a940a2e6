"""History pages read like a record: who did what, why, and which fields changed from what
to what, in the interface language (no internal ids, no raw action or enum codes)."""
