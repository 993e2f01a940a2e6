"""Pass-rate statistics pages: summary, tables with drill-down, downloads."""
