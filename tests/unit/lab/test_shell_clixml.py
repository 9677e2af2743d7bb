"""CLIXML on stderr: the lab's encoder must decode with the real clients' decoders (Ansible and pywinrm)."""

from __future__ import annotations

import winrm
from ansible.plugins.shell.powershell import _parse_clixml, _replace_stderr_clixml
from hypothesis import given
from hypothesis import strategies as st

from lifeline_lab.shell.clixml import CLIXML_HEADER, OBJS_CLOSE, OBJS_OPEN, ClixmlWriter, document, escape_string


def test_escape_xml_entities_and_control_characters() -> None:
    assert escape_string("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert escape_string("line\r\n") == "line_x000D__x000A_"
    assert escape_string("tab\there\x00") == "tab_x0009_here_x0000_"
    assert escape_string("\x7f\x85") == "_x007F__x0085_"


def test_escape_underscore_x_so_it_is_not_read_as_an_escape() -> None:
    assert escape_string("C:\\_x0041_\\_X") == "C:\\_x005F_x0041_\\_x005F_X"
    assert escape_string("a_b") == "a_b"


def test_escape_characters_outside_the_bmp_as_utf16_code_units() -> None:
    assert escape_string("\U0001f600") == "_xD83D__xDE00_"


def test_document_shape_matches_windows() -> None:
    text = document([("Error", "boom\r\n")])
    assert text == (
        "#< CLIXML\r\n"
        '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        '<S S="Error">boom_x000D__x000A_</S></Objs>'
    )


def test_ansible_decodes_an_error_document() -> None:
    lines = ["foo : bad <thing> & _x0041_ \u00e9\U0001f600", "At line:1 char:1", " "]
    stderr = document([("Error", line + "\r\n") for line in lines]).encode("utf-8")
    expected = "".join(line + "\r\n" for line in lines)
    assert _parse_clixml(stderr).decode("utf-8") == expected
    assert _replace_stderr_clixml(stderr).decode("utf-8") == expected


def test_pywinrm_cleans_an_error_document() -> None:
    # pywinrm only turns _x000D__x000A_ back into a newline (and strips): enough for real error text.
    lines = ["foo : The term 'foo' is not recognized <&>", "At line:1 char:1", "+ foo", "+ ~~~", " "]
    stderr = document([("Error", line + "\r\n") for line in lines]).encode("utf-8")
    session = winrm.Session("windows-host", auth=("user", "password"))
    assert session._clean_error_msg(stderr).decode("utf-8") == "\n".join(lines).strip()


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_any_text_round_trips_through_ansible(text: str) -> None:
    stderr = document([("Error", text)]).encode("utf-8")
    assert _parse_clixml(stderr).decode("utf-8", errors="surrogatepass") == text


def test_writer_streams_one_document_and_closes_it_once() -> None:
    written: list[str] = []
    writer = ClixmlWriter(written.append)
    writer.close()
    assert written == []  # a process that wrote no record writes no header
    writer.record("Error", "one\r\n")
    writer.record("warning", "careful")
    writer.close()
    assert "".join(written) == (
        CLIXML_HEADER + OBJS_OPEN + '<S S="Error">one_x000D__x000A_</S><S S="warning">careful</S>' + OBJS_CLOSE
    )


def test_writer_interrupt_keeps_raw_text_and_both_documents_decodable() -> None:
    written: list[str] = []
    writer = ClixmlWriter(written.append)
    writer.record("Error", "first\r\n")
    writer.interrupt()
    written.append("raw native stderr\r\n")
    writer.record("Error", "second\r\n")
    writer.close()
    decoded = _replace_stderr_clixml("".join(written).encode("utf-8")).decode("utf-8")
    assert decoded == "first\r\nraw native stderr\r\nsecond\r\n"
