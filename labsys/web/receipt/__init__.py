"""Receipt of samples in the lab."""
