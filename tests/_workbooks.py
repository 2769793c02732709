"""Workbooks built byte by byte for the upload tests (shared by the in-process and the real-server tests)."""

from __future__ import annotations

import io
import zipfile


def bomb_workbook(rows: int) -> bytes:
    """A real workbook (openpyxl opens it) whose sheet is ``rows`` identical one-cell rows: a few
    hundred kilobytes that unpack a thousand times over."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'.encode()
             + b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * rows + b"</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                               'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                               'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                               'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                               '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                       f'2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                       f"</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                           f'<sheet name="participants" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                                      f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/'
                                      f'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in parts.items():
            z.writestr(name, text)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()
