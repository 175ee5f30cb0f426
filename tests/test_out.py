from supportctl import out


def test_table_aligns_by_terminal_cells_and_keeps_numbers_left():
    text = out.table(
        [["SUP-1", "2025", None], ["SUP-10", "Сбой входа", "x"], ["SUP-2", "日本語", "y"]],
        ["ID", "TITLE", "LAST"],
    )
    lines = text.splitlines()
    assert lines[0] == "ID      TITLE       LAST"
    assert lines[1] == "SUP-1   2025"
    assert lines[2] == "SUP-10  Сбой входа  x"
    # three wide characters take six cells, so the last column still lines up
    assert lines[3] == "SUP-2   日本語      y"


def test_table_with_no_rows_is_the_header():
    assert out.table([], ["ID", "TITLE"]) == "ID  TITLE"
