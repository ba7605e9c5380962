"""json_encode and json_decode."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.escape import json_decode, json_encode

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=20,
)
# Text rich in the sequences that matter inside <script>.
script_text = st.lists(
    st.sampled_from(["<", "/", "!", "-", "--", "<!--", "</", "script", ">", "a", "\\"])
).map("".join)


class _ScriptReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


class TestJsonEncode:
    def test_plain_values(self) -> None:
        assert json.loads(json_encode({"a": [1, 2.5, None, True], "b": "x"})) == {
            "a": [1, 2.5, None, True],
            "b": "x",
        }

    def test_output_without_angle_brackets_is_plain_json(self) -> None:
        value = {"k": ["v", 1, {"n": None}], "t": "caf\u00e9"}
        assert json_encode(value) == json.dumps(value)

    def test_closing_tag_is_broken(self) -> None:
        assert json_encode("</script>") == '"<\\/script>"'

    def test_comment_opener_is_broken(self) -> None:
        assert json_encode("<!--") == '"<\\u0021--"'

    def test_other_angle_brackets_are_kept(self) -> None:
        assert json_encode("<b>a</b>") == '"<b>a<\\/b>"'

    def test_non_ascii_is_escaped(self) -> None:
        assert json_encode("\u00e9\u2028") == '"\\u00e9\\u2028"'

    def test_script_element_keeps_the_whole_payload(self) -> None:
        value = {"html": "</script><script>alert(1)</script>", "c": "<!--<script>"}
        reader = _ScriptReader()
        reader.feed(f"<script>var x = {json_encode(value)};</script><p>after</p>")
        reader.close()
        assert reader.scripts == [f"var x = {json_encode(value)};"]
        assert json.loads(reader.scripts[0][len("var x = ") : -1]) == value

    def test_nan_is_written_as_python_json_does(self) -> None:
        assert json_encode(float("nan")) == "NaN"
        assert math.isnan(json_decode("NaN"))

    def test_unserializable_value_raises_type_error(self) -> None:
        with pytest.raises(TypeError):
            json_encode({1, 2})

    def test_cycle_raises_value_error(self) -> None:
        cycle: list[Any] = []
        cycle.append(cycle)
        with pytest.raises(ValueError):
            json_encode(cycle)

    @given(json_values)
    def test_round_trip(self, value: Any) -> None:
        assert json_decode(json_encode(value)) == value

    @given(script_text | st.text())
    def test_output_never_contains_a_closing_tag_or_comment_opener(
        self, text: str
    ) -> None:
        encoded = json_encode({text: [text]})
        assert "</" not in encoded
        assert "<!--" not in encoded
        assert json_decode(encoded) == {text: [text]}


class TestJsonDecode:
    def test_str(self) -> None:
        assert json_decode('{"a": [1, "\\u00e9"]}') == {"a": [1, "\u00e9"]}

    def test_utf8_bytes(self) -> None:
        assert json_decode(b'{"a": "caf\xc3\xa9"}') == {"a": "caf\u00e9"}

    def test_utf16_bytes(self) -> None:
        assert json_decode('["\u00e9"]'.encode("utf-16")) == ["\u00e9"]

    def test_invalid_json_raises(self) -> None:
        with pytest.raises(json.JSONDecodeError):
            json_decode("{'a': 1}")

    def test_invalid_bytes_raise(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            json_decode(b'"\xff"')

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"1")])
    def test_other_types_raise_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"json_decode\(\) expects str or bytes"):
            json_decode(value)
