"""PDF documents: one class per document, each building into a ``BytesIO`` (reportlab)."""
