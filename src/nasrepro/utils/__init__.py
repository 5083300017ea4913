"""Small shared helpers: atomic I/O, seeding, devices, run metadata, downloads."""
