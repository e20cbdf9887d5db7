"""Small words shown on many pages: a file's size."""

import pytest

from app.labels import filesize


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0 B"), (940, "940 B"), (1_000, "1.0 KB"), (319_833, "319.8 KB"),
    (999_999, "1.0 MB"), (12_345_678, "12.3 MB"), (2 * 10**9, "2.0 GB"),
])
def test_a_file_size_reads_the_same_in_chinese_and_english(size, shown):
    assert filesize(size) == shown
