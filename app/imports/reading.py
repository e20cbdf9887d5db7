"""Reading an uploaded file into rows: which format it really is, how it is encoded, and which
column holds what."""

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
from flask_babel import lazy_gettext as _l

from .cells import text

MAX_MB = 5
MAX_BYTES = MAX_MB * 1024 * 1024
# Each row is recorded with its ledger entry on its own: measured at 15 s for 2,000 rows on
# PostgreSQL, so a file of more than BACKGROUND_ROWS is committed by a background job
# (app/imports/jobs.py), not inside the request. The preview still runs in the request, one
# reference query per row in donations.check: about 1.4 ms a row, 14 s for MAX_ROWS.
MAX_ROWS = 10000
BACKGROUND_ROWS = 500
MAX_COLUMNS = 60
MAX_UNZIPPED = 100 * 1024 * 1024  # an .xlsx is a zip: refuse one that inflates into a bomb
HEADER_SEARCH = 20  # bank exports put the account and period above the header row
END_OF_DATA = 1000  # this many empty rows in a row: the data has ended

# Header words per field, most specific first: on a bank statement 户名 may be the fund's own
# account while 对方户名 is the payer, and 交易流水号 is unique where 凭证号 may not be.
COLUMNS = {
    "date": ("交易日期", "到账日期", "日期", "记账日期", "入账日期", "捐赠日期", "交易时间",
             "date"),
    "amount": ("收入金额", "贷方金额", "捐赠金额", "金额", "贷方发生额", "收入", "amount",
               "credit"),
    "debit": ("支出金额", "借方金额", "借方发生额", "支出", "debit"),
    "direction": ("借贷标志", "收支标志", "借贷方向", "收支", "direction"),
    "name": ("对方户名", "捐赠人", "姓名", "户名", "付款人", "捐赠者", "name", "donor"),
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话", "phone", "mobile"),
    "reference": ("交易流水号", "流水号", "凭证号", "参考号", "交易参考号", "reference",
                  "serial"),
    "channel": ("渠道", "方式", "捐赠方式", "channel"),
    "designation": ("用途", "定向", "捐赠意向", "designation", "purpose"),
    "notes": ("备注", "摘要", "附言", "notes", "note", "memo"),
}

_OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other OLE2 files
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class UploadError(ValueError):
    """Why the file as a whole cannot be read; shown beside the file field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


NOT_A_TABLE = _l("This is not a CSV or Excel (.xlsx) file.")


class NoHeader(UploadError):
    def __init__(self):
        super().__init__(_l("No header row found: the file needs a column headed 金额 (amount), "
                            "with others such as 日期, 姓名 or 流水号."))


@dataclass
class RawRow:
    line: int  # the row number a spreadsheet shows, so the treasurer can find it
    cells: dict  # field -> the cell as read (text, number, date or None)


def read(data: bytes) -> list[RawRow]:
    """The rows of a bank statement or donation list; raises UploadError with the reason."""
    if len(data) > MAX_BYTES:
        raise UploadError(_l("The file is larger than %(size)d MB: split it into smaller "
                             "files.", size=MAX_MB))
    if not data.strip():
        raise UploadError(_l("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(_OLD_EXCEL):
        raise UploadError(_l("This is an old Excel file (.xls): save it as .xlsx or CSV first."))
    return _rows_below_header(_csv_grid(_decode(data)))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), UTF-16 from Excel's "Unicode text", or
    GB18030, the superset of the GBK that Chinese banks and Excel export."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            attempts = [(data[len(bom):], codec)]
            break
    else:
        attempts = [(data, "utf-8"), (data, "gb18030")]
    for raw, codec in attempts:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if not _BINARY.search(text):
            return text
    raise UploadError(NOT_A_TABLE)


def _csv_grid(text: str) -> Iterable[list]:
    delimiter = _delimiter(text)
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [_clean_text(cell) for cell in cells[:MAX_COLUMNS]]
    except csv.Error as error:
        raise UploadError(NOT_A_TABLE) from error


def _delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever splits the busiest of the first lines most."""
    lines = text[:8192].splitlines()[:HEADER_SEARCH]
    return max(",\t;", key=lambda d: max((line.count(d) for line in lines), default=0))


def _clean_text(cell: str) -> str:
    cell = cell.strip()
    # Banks write ="0123" (or a leading tab) so Excel keeps long serials as text.
    if cell.startswith('="') and cell.endswith('"'):
        cell = cell[2:-1].strip()
    return cell


def _read_xlsx(data: bytes) -> list[RawRow]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as error:
        raise UploadError(NOT_A_TABLE) from error
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise UploadError(NOT_A_TABLE)  # a .docx, an .apk, a plain zip
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED:
        raise UploadError(_l("The Excel file is too large once unpacked: split it into "
                             "smaller files."))
    try:
        with warnings.catch_warnings():
            # Workbooks from WPS and banks' tools make openpyxl warn about styles and
            # extensions it skips; nothing this import reads.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _first_sheet_rows(book)
            finally:
                book.close()
    except UploadError:
        raise
    except Exception as error:  # a broken upload must answer in words, never with a 500
        raise UploadError(_l("The Excel file could not be read: open it in Excel or WPS "
                             "and save it again.")) from error


def _first_sheet_rows(book) -> list[RawRow]:
    """The first sheet with a recognisable header: a list may sit behind a cover sheet."""
    for sheet in book.worksheets[:10]:
        grid = (_xlsx_cells(row) for row in sheet.iter_rows(values_only=True,
                                                              max_col=MAX_COLUMNS))
        try:
            return _rows_below_header(grid)
        except NoHeader:
            continue
    raise NoHeader()


def _xlsx_cells(row: tuple) -> list:
    return [_clean_text(cell) if isinstance(cell, str) else cell for cell in row]


def header_key(value) -> str:
    """'收入金额(元)' -> '收入金额', ' Amount (CNY) ' -> 'amount'."""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(value or ""))
    return re.sub(r"[\s*:：_]", "", text).lower()


def _columns(cells: list) -> dict[str, list[int]] | None:
    """Field -> column positions when these cells are a header row (it names the amount)."""
    keys = [header_key(cell) for cell in cells]
    taken: set[int] = set()
    columns: dict[str, list[int]] = {}
    for field, names in COLUMNS.items():
        for name in names:
            for index, key in enumerate(keys):
                if key == name and index not in taken:
                    taken.add(index)
                    columns.setdefault(field, []).append(index)
            if field in columns and field != "notes":  # notes gather 摘要 and 附言 alike
                break
    return columns if "amount" in columns else None


def _rows_below_header(grid: Iterable[list]) -> list[RawRow]:
    rows = iter(enumerate(grid, start=1))
    for line, cells in rows:
        if line > HEADER_SEARCH:
            break
        columns = _columns(cells)
        if columns:
            return _data_rows(rows, columns)
    raise NoHeader()


def _data_rows(rows, columns: dict[str, list[int]]) -> list[RawRow]:
    found: list[RawRow] = []
    empty_run = 0
    for line, cells in rows:
        if all(cell is None or cell == "" for cell in cells):
            empty_run += 1
            if empty_run >= END_OF_DATA:
                break
            continue
        empty_run = 0
        if len(found) == MAX_ROWS:
            raise UploadError(_l("The file has more than %(rows)d rows: split it into smaller "
                                 "files.", rows=MAX_ROWS))
        found.append(RawRow(line, _pick(cells, columns)))
    return found


def _pick(cells: list, columns: dict[str, list[int]]) -> dict:
    def at(index):
        return cells[index] if index < len(cells) else None

    picked = {field: at(indexes[0]) for field, indexes in columns.items() if field != "notes"}
    if "notes" in columns:
        notes = (text(at(index)) for index in columns["notes"])
        picked["notes"] = "；".join(note for note in notes if note)
    return picked
