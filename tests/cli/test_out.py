from supportctl.cli import out


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


def test_visible_shows_control_characters_and_keeps_text():
    assert out.visible("Принтер\tok\nnext") == "Принтер\tok\nnext"
    assert out.visible("a\x1b]0;x\x07b\x00\x7f\x9b\x85") == "a\\x1b]0;x\\x07b\\x00\\x7f\\x9b\\x85"
    assert out.visible("crlf\r\nlone\r") == "crlf\nlone\\x0d"
    # our own bold (kb search at a terminal) is the one sequence that passes
    assert out.visible(f"{out.BOLD[0]}word{out.BOLD[1]}") == "\x1b[1mword\x1b[0m"


def test_messages_on_stderr_show_control_characters(capsys):
    out.warn("title \x1b[2J")
    out.error("bell\x07")
    assert capsys.readouterr().err == "supportctl: title \\x1b[2J\nsupportctl: error: bell\\x07\n"


def test_table_cells_of_any_type_and_control_characters() -> None:
    text = out.table([[None, 7, "a\x1bb"], ["", 1.5, "x"]], ["A", "B", "C"])
    assert text.split("\n") == ["A  B    C", "   7    a\\x1bb", "   1.5  x"]
