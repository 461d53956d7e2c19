"""The appeal workbook's sheets, one module per sheet."""
