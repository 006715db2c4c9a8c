"""CSV files that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection").

A cell that begins with = + - @, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets; `=HYPERLINK(...)` in a platform's name would phone home from a
supervisor's machine. Such text cells get a leading apostrophe, which spreadsheets show as
text and do not evaluate. Numbers stay numbers.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    if not isinstance(value, str):
        return value
    # Leading spaces do not stop LibreOffice from reading a formula.
    if value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_writer(stream):
    """A csv.writer whose writerow/writerows neutralise every text cell."""
    writer = csv.writer(stream)

    class _SafeWriter:
        def writerow(self, row):
            return writer.writerow([safe_cell(cell) for cell in row])

        def writerows(self, rows):
            for row in rows:
                self.writerow(row)

    return _SafeWriter()
