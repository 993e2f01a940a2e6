"""The lab: result entry (per sample and per worksheet), review, corrections, retests, import."""
