"""common.uploads.read_csv_upload: limits and clear errors, the whole file or nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import override_settings

from common.errors import ValidationFailed
from common.uploads import read_csv_upload

COLUMNS = ("line", "quantity")


def refusal(content, **kwargs) -> ValidationFailed:
    kwargs.setdefault("max_bytes", 1000)
    kwargs.setdefault("max_rows", 3)
    kwargs.setdefault("required_columns", COLUMNS)
    with pytest.raises(ValidationFailed) as caught:
        read_csv_upload(content, **kwargs)
    return caught.value


def test_reads_rows_as_dicts_from_an_uploaded_file():
    upload = SimpleUploadedFile("usage.csv", b"line,quantity,note\n1,2.5,first\n2,3,\n", content_type="text/csv")

    rows = read_csv_upload(upload, max_bytes=1000, max_rows=3, required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "2.5", "note": "first"}, {"line": "2", "quantity": "3", "note": ""}]


def test_accepts_bytes_str_and_a_byte_order_mark():
    expected = [{"line": "1", "quantity": "2"}]

    assert read_csv_upload(b"\xef\xbb\xbfline,quantity\n1,2\n", max_bytes=100, max_rows=1,
                           required_columns=COLUMNS) == expected
    assert read_csv_upload("line,quantity\r\n1,2\r\n", max_bytes=100, max_rows=1, required_columns=COLUMNS) == expected
    assert read_csv_upload(io.BytesIO(b"line,quantity\n1,2"), max_bytes=100, max_rows=1,
                           required_columns=COLUMNS) == expected


def test_header_names_are_trimmed_and_required_ones_matched_without_case():
    rows = read_csv_upload(b" Line , QUANTITY ,Attr:Colour\n1,2,red\n", max_bytes=100, max_rows=1,
                           required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "2", "Attr:Colour": "red"}]


def test_quoted_cells_keep_commas_and_new_lines():
    rows = read_csv_upload(b'line,quantity,note\n1,2,"a, b\nc"\n', max_bytes=100, max_rows=1, required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "2", "note": "a, b\nc"}]


def test_blank_lines_are_skipped_and_short_rows_filled():
    rows = read_csv_upload(b"line,quantity,note\n\n1\n\n", max_bytes=100, max_rows=1, required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "", "note": ""}]


def test_too_large_by_content():
    error = refusal(b"line,quantity\n" + b"1,2\n" * 300)

    assert error.code == "csv_too_large"
    assert error.message == "The file is too large: at most 1000 bytes."
    assert error.fields == {"file": ["Split the file into smaller files."]}


def test_too_large_message_in_megabytes():
    error = refusal(b"x" * (2 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024)
    kilobytes = refusal(b"x" * 2000, max_bytes=1536)

    assert error.code == "csv_too_large"
    assert error.message == "The file is too large: at most 2 MB."
    assert kilobytes.message == "The file is too large: at most 1.5 KB."


def test_too_large_by_declared_size_is_refused_without_reading():
    class Huge:
        size = 50 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("must not be read")

    error = refusal(Huge())

    assert error.code == "csv_too_large"


def test_a_temporary_file_upload_is_read_within_the_limit():
    upload = TemporaryUploadedFile("usage.csv", "text/csv", 17, "utf-8")
    upload.write(b"line,quantity\n1,2\n")
    upload.seek(0)

    rows = read_csv_upload(upload, max_bytes=100, max_rows=1, required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "2"}]


def test_exactly_at_the_limits_is_accepted():
    content = b"line,quantity\n1,2\n3,4\n5,6\n"

    rows = read_csv_upload(content, max_bytes=len(content), max_rows=3, required_columns=COLUMNS)

    assert len(rows) == 3


def test_too_many_rows():
    error = refusal(b"line,quantity\n1,2\n3,4\n5,6\n7,8\n")

    assert error.code == "csv_too_many_rows"
    assert error.message == "The file has too many rows: at most 3 rows."
    assert error.fields == {"file": ["Split the file into smaller files."]}


def test_not_utf8():
    error = refusal("line,quantity\n1,año\n".encode("latin-1"))

    assert error.code == "csv_encoding"
    assert error.message == "The file is not UTF-8 text."
    assert error.fields == {"file": ["Save the file as “CSV UTF-8” and upload it again."]}


def test_binary_content_is_not_csv():
    error = refusal(b"PK\x03\x04\x00\x00line,quantity\n")

    assert error.code == "csv_malformed"
    assert error.message == "The file is not a CSV text file."


def test_missing_columns_are_named():
    error = refusal(b"line,amount\n1,2\n", required_columns=("line", "quantity", "occurred_at"))

    assert error.code == "csv_columns"
    assert error.message == "The file misses the columns: quantity, occurred_at."
    assert error.fields == {"file": ["The first line must name the columns: line, quantity, occurred_at."]}


def test_one_missing_column_in_the_singular():
    error = refusal(b"line\n1\n")

    assert error.message == "The file misses the column: quantity."


def test_duplicate_columns():
    error = refusal(b"line,quantity,Line\n1,2,3\n")

    assert error.code == "csv_columns"
    assert error.message == "The column “Line” appears twice."


def test_more_cells_than_columns_names_the_line():
    error = refusal(b"line,quantity\n1,2\n3,4,5\n")

    assert error.code == "csv_malformed"
    assert error.message == "Line 3 has more cells than the header has columns."


@pytest.mark.parametrize("content", [b"", b"   \n\n", "", "\ufeff"])
def test_empty_file(content):
    error = refusal(content)

    assert error.code == "csv_empty"
    assert error.message == "The file is empty."


def test_header_only_has_no_rows():
    error = refusal(b"line,quantity\n")

    assert error.code == "csv_empty"
    assert error.message == "The file has no rows."
    assert error.fields == {"file": ["Add at least one row under the header."]}


def test_field_name_of_the_errors_can_be_chosen():
    error = refusal(b"", field="upload")

    assert list(error.fields) == ["upload"]


@override_settings(MARKETPLACE_UPLOAD_MAX_BYTES=24, MARKETPLACE_UPLOAD_MAX_ROWS=1)
def test_limits_default_to_the_settings():
    assert read_csv_upload(b"line,quantity\n1,2\n", required_columns=COLUMNS) == [{"line": "1", "quantity": "2"}]
    with pytest.raises(ValidationFailed) as rows:
        read_csv_upload(b"line,quantity\n1,2\n3,4\n", required_columns=COLUMNS)
    with pytest.raises(ValidationFailed) as size:
        read_csv_upload(b"line,quantity\n1,2\n3,4\n5,6\n", required_columns=COLUMNS)

    assert rows.value.code == "csv_too_many_rows"
    assert size.value.code == "csv_too_large"


def test_an_unterminated_quote_is_read_as_one_cell_not_an_error():
    # Python's csv reads to the end of the file; the row check then refuses or accepts the cell.
    rows = read_csv_upload(b'line,quantity\n1,"2\n3,4\n', max_bytes=100, max_rows=3, required_columns=COLUMNS)

    assert rows == [{"line": "1", "quantity": "2\n3,4\n"}]
