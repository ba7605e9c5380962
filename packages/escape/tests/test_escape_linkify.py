"""linkify."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.escape import linkify


class _Links(HTMLParser):
    """Read linkify's output back the way a browser would."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.links: list[dict[str, str | None]] = []
        self.link_texts: list[str] = []
        self.tags: list[str] = []
        self._in_link = False
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links.append(dict(attrs))
        self.link_texts.append("")
        self._in_link = True

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        self._in_link = False

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_link:
            self.link_texts[-1] += data


def _browser_scheme(href: str) -> str | None:
    """The scheme a browser's URL parser would see in ``href``, lowercased."""
    # WHATWG URL: strip leading/trailing C0 controls and spaces, drop all
    # tabs and newlines, then read the scheme.
    href = href.strip("".join(map(chr, range(0x21))))
    href = re.sub("[\t\n\r]", "", href)
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", href)
    return match.group(1).lower() if match else None


def _hrefs(markup: str) -> list[str]:
    hrefs = []
    for attrs in _Links(markup).links:
        href = attrs["href"]
        assert href is not None
        hrefs.append(href)
    return hrefs


class TestBasics:
    def test_documented_example(self) -> None:
        assert (
            linkify("Hello http://example.com!")
            == 'Hello <a href="http://example.com">http://example.com</a>!'
        )

    def test_text_is_escaped(self) -> None:
        assert linkify("<b>Tom & \"Jerry's\"</b>") == (
            "&lt;b&gt;Tom &amp; &quot;Jerry&#x27;s&quot;&lt;/b&gt;"
        )

    def test_text_without_links(self) -> None:
        assert linkify("") == ""
        assert linkify("no links here.") == "no links here."

    def test_url_is_escaped_in_href_and_text(self) -> None:
        assert linkify("http://x.com/?a=1&b=<2>") == (
            '<a href="http://x.com/?a=1&amp;b=">http://x.com/?a=1&amp;b=</a>&lt;2&gt;'
        )

    def test_quote_ends_the_url(self) -> None:
        assert linkify('http://x.com/"onmouseover="alert(1)') == (
            '<a href="http://x.com/">http://x.com/</a>&quot;onmouseover=&quot;alert(1)'
        )

    def test_several_links(self) -> None:
        assert linkify("http://a.com and https://b.org/x") == (
            '<a href="http://a.com">http://a.com</a> and '
            '<a href="https://b.org/x">https://b.org/x</a>'
        )

    def test_bytes_are_decoded(self) -> None:
        assert linkify(b"caf\xc3\xa9 http://x.com") == (
            'caf\u00e9 <a href="http://x.com">http://x.com</a>'
        )

    def test_non_ascii_url(self) -> None:
        assert linkify("http://\u4f8b\u3048.jp/\u00e9") == (
            '<a href="http://\u4f8b\u3048.jp/\u00e9">http://\u4f8b\u3048.jp/\u00e9</a>'
        )

    def test_unicode_space_ends_the_url(self) -> None:
        assert linkify("http://x.com/a\u3000b") == (
            '<a href="http://x.com/a">http://x.com/a</a>\u3000b'
        )

    @pytest.mark.parametrize("value", [None, 1, bytearray(b"x")])
    def test_text_of_wrong_type_raises(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"linkify\(\) expects str or bytes"):
            linkify(value)


class TestUrlBoundaries:
    @pytest.mark.parametrize("end", [".", ",", "!", "?", ":", ";", "'", '"', "\u201d"])
    def test_trailing_punctuation_is_not_part_of_the_url(self, end: str) -> None:
        assert _Links(linkify(f"see http://x.com/a{end}")).link_texts == [
            "http://x.com/a"
        ]

    def test_several_trailing_punctuation_marks(self) -> None:
        assert _hrefs(linkify("(see http://x.com/a?!).")) == ["http://x.com/a"]

    def test_inner_punctuation_is_kept(self) -> None:
        assert _hrefs(linkify("http://x.com/a.b,c;d:e!f?g=h.")) == [
            "http://x.com/a.b,c;d:e!f?g=h"
        ]

    def test_balanced_parentheses_are_kept(self) -> None:
        assert _hrefs(linkify("(see http://x.com/a_(b))")) == ["http://x.com/a_(b)"]

    def test_unbalanced_closing_brackets_are_dropped(self) -> None:
        assert _hrefs(linkify("[http://x.com/a]")) == ["http://x.com/a"]
        assert _hrefs(linkify("{http://x.com/a}")) == ["http://x.com/a"]
        assert _hrefs(linkify("http://x.com/[a]")) == ["http://x.com/[a]"]

    @pytest.mark.parametrize("text", ["http://", "http://.", "http:", "http:.", "(http://)"])
    def test_scheme_alone_is_no_link(self, text: str) -> None:
        assert "<a" not in linkify(text)

    def test_scheme_inside_a_word_is_no_link(self) -> None:
        assert "<a" not in linkify("xhttp://x.com")

    def test_url_after_another_word_and_colon(self) -> None:
        assert _hrefs(linkify("note:http://x.com")) == ["http://x.com"]


class TestBareHosts:
    def test_www_host_gets_http(self) -> None:
        assert linkify("go to www.example.com.") == (
            'go to <a href="http://www.example.com">www.example.com</a>.'
        )

    def test_numbered_www_host(self) -> None:
        assert _hrefs(linkify("www2.example.com")) == ["http://www2.example.com"]

    def test_host_with_path(self) -> None:
        assert _hrefs(linkify("example.com/path?q=1")) == ["http://example.com/path?q=1"]

    def test_host_without_path_or_www_is_not_linked(self) -> None:
        assert linkify("example.com") == "example.com"

    @pytest.mark.parametrize("text", ["www.", "www..", "www./", "www"])
    def test_incomplete_www_is_not_linked(self, text: str) -> None:
        assert "<a" not in linkify(text)

    def test_require_protocol(self) -> None:
        assert linkify("www.x.com and x.com/a and http://y.com", require_protocol=True) == (
            'www.x.com and x.com/a and <a href="http://y.com">http://y.com</a>'
        )


class TestProtocols:
    def test_other_schemes_are_not_linked_by_default(self) -> None:
        text = "ftp://x.com mailto:a@b.com irc://x.org/c"
        assert linkify(text) == text

    def test_permitted_protocols(self) -> None:
        result = linkify(
            "ftp://x.com mailto:a@b.com http://y.com",
            permitted_protocols=["ftp", "mailto"],
        )
        assert _hrefs(result) == ["ftp://x.com", "mailto:a@b.com"]

    def test_schemes_are_case_insensitive(self) -> None:
        assert _hrefs(linkify("HTTP://X.COM HtTpS://y.com")) == [
            "HTTP://X.COM",
            "HtTpS://y.com",
        ]
        assert _hrefs(linkify("FTP://x.com", permitted_protocols=["Ftp"])) == [
            "FTP://x.com"
        ]

    def test_permitted_protocols_may_be_any_iterable(self) -> None:
        assert _hrefs(linkify("ftp://x.com", permitted_protocols={"ftp"})) == [
            "ftp://x.com"
        ]
        assert _hrefs(linkify("ftp://x.com", permitted_protocols=("ftp:",))) == [
            "ftp://x.com"
        ]

    @pytest.mark.parametrize("scheme", ["javascript", "JavaScript", "vbscript", "data:"])
    def test_script_schemes_cannot_be_permitted(self, scheme: str) -> None:
        with pytest.raises(ValueError, match="refuses to link"):
            linkify("x", permitted_protocols=["http", scheme])

    def test_single_string_is_refused(self) -> None:
        with pytest.raises(TypeError, match="wrap it in a list"):
            linkify("x", permitted_protocols="http")

    def test_non_string_scheme_is_refused(self) -> None:
        with pytest.raises(TypeError, match="must hold str"):
            linkify("x", permitted_protocols=["http", 1])  # type: ignore[list-item]

    @pytest.mark.parametrize(
        "text",
        [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\x01javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\x00script:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "jav&#x09;ascript:alert(1)",
            "javascript&colon;alert(1)",
            "javascript&#58;alert(1)",
            "javascript%3Aalert(1)",
            "javascript://x.com/%0aalert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "\uff4aavascript:alert(1)",
            "<a href=javascript:alert(1)>x</a>",
        ],
    )
    def test_script_urls_are_never_linked(self, text: str) -> None:
        for permitted in (["http", "https"], ["http", "https", "ftp", "mailto"]):
            result = linkify(text, permitted_protocols=permitted)
            assert _hrefs(result) == []

    def test_javascript_after_a_permitted_scheme_stays_inside_it(self) -> None:
        hrefs = _hrefs(linkify("http:javascript:alert(1) http://x.com/javascript:1"))
        assert hrefs == ["http:javascript:alert(1)", "http://x.com/javascript:1"]
        assert all(_browser_scheme(href) == "http" for href in hrefs)


class TestExtraParams:
    def test_string_is_added_to_each_tag(self) -> None:
        assert linkify("http://x.com", extra_params='  rel="nofollow"  ') == (
            '<a href="http://x.com" rel="nofollow">http://x.com</a>'
        )

    def test_blank_string_adds_nothing(self) -> None:
        assert linkify("http://x.com", extra_params="   ") == (
            '<a href="http://x.com">http://x.com</a>'
        )

    def test_callable_gets_the_href(self) -> None:
        seen: list[str] = []

        def params(url: str) -> str:
            seen.append(url)
            return 'class="internal"' if "x.com" in url else ""

        result = linkify("www.x.com http://y.com", extra_params=params)
        assert seen == ["http://www.x.com", "http://y.com"]
        assert result == (
            '<a href="http://www.x.com" class="internal">www.x.com</a> '
            '<a href="http://y.com">http://y.com</a>'
        )

    def test_callable_returning_non_string_raises(self) -> None:
        with pytest.raises(TypeError, match="callable must return str"):
            linkify("http://x.com", extra_params=lambda url: None)  # type: ignore[arg-type,return-value]

    def test_callable_not_called_without_links(self) -> None:
        def params(url: str) -> str:  # pragma: no cover - must not run
            raise AssertionError(f"extra_params called with {url!r}")

        assert linkify("no links", extra_params=params) == "no links"

    def test_wrong_type_raises(self) -> None:
        with pytest.raises(TypeError, match="extra_params must be a str or a callable"):
            linkify("http://x.com", extra_params=1)  # type: ignore[arg-type]


class TestShorten:
    def test_short_url_is_unchanged(self) -> None:
        assert linkify("http://x.com/a", shorten=True) == (
            '<a href="http://x.com/a">http://x.com/a</a>'
        )

    def test_long_url_is_shortened_with_title(self) -> None:
        url = "http://www.example.com/this/is/a/long/path/to/a/page?q=1&r=2"
        links = _Links(linkify(f"see {url}.", shorten=True))
        assert links.links == [{"href": url, "title": url}]
        (shown,) = links.link_texts
        assert shown.endswith("...")
        assert len(shown) <= 30 + len("...")
        assert ("http://" + shown[: -len("...")]) == url[: len(shown) - 3 + 7]
        assert links.text == f"see {shown}."

    def test_cut_after_a_slash_when_one_is_late_enough(self) -> None:
        url = "https://example.com/abcdefghi/jklmnopqrstuvwxyz"
        (shown,) = _Links(linkify(url, shorten=True)).link_texts
        assert shown == "example.com/abcdefghi/..."

    def test_cut_at_the_limit_otherwise(self) -> None:
        url = "http://ex.com/abcdefghijklmnopqrstuvwxyzabcdefghij"
        (shown,) = _Links(linkify(url, shorten=True)).link_texts
        assert shown == "ex.com/abcdefghijklmnopqrstuvw..."

    def test_long_url_that_fits_once_the_scheme_is_dropped(self) -> None:
        url = "https://example.com/abcdefghijklmno"
        links = _Links(linkify(url, shorten=True))
        assert links.link_texts == ["example.com/abcdefghijklmno"]
        assert links.links == [{"href": url, "title": url}]

    def test_bare_host_is_shortened(self) -> None:
        url = "www.example.com/abcdefghijklmnopqrstuvwxyz"
        links = _Links(linkify(url, shorten=True))
        assert links.links == [{"href": "http://" + url, "title": "http://" + url}]
        assert links.link_texts == ["www.example.com/abcdefghijklmn..."]

    def test_scheme_without_slashes_is_dropped(self) -> None:
        url = "mailto:someone.with.a.long.name@example.com"
        links = _Links(linkify(url, shorten=True, permitted_protocols=["mailto"]))
        assert links.links == [{"href": url, "title": url}]
        assert links.link_texts == ["someone.with.a.long.name@examp..."]

    def test_title_is_escaped(self) -> None:
        url = "http://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaa?x=1&y=2"
        result = linkify(url, shorten=True)
        assert 'title="http://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaa?x=1&amp;y=2"' in result


# Property tests: text full of the tricks used to smuggle a script URL.
_tricky = st.lists(
    st.sampled_from(
        [
            "javascript:", "JaVaScRiPt:", "java\tscript:", "&#106;", "&#x6A;",
            "vbscript:", "data:", "http://", "https://", "HTTP://", "ftp://",
            "mailto:", "www.", "ex.com/", "alert(1)", "(", ")", "[", "]", ".",
            ",", " ", "\n", "\t", "\x00", "\x01", '"', "'", "<", ">", "&", ";",
            ":", "/", "%0a", "a", "x", "\u00e9", "\u00a0", "\u3000", "`",
        ]
    ),
    max_size=20,
).map("".join)
_permitted = st.lists(st.sampled_from(["http", "https", "ftp", "mailto", "HTTP"]))


@given(_tricky | st.text(), _permitted, st.booleans(), st.booleans())
def test_every_href_has_a_permitted_scheme(
    text: str, permitted: list[str], require_protocol: bool, shorten: bool
) -> None:
    result = linkify(
        text,
        permitted_protocols=permitted,
        require_protocol=require_protocol,
        shorten=shorten,
    )
    allowed = {scheme.lower() for scheme in permitted}
    for href in _hrefs(result):
        scheme = _browser_scheme(href)
        assert scheme is not None
        assert scheme in allowed or (scheme == "http" and not require_protocol)


@given(_tricky | st.text(), _permitted, st.booleans())
def test_the_text_reads_back_unchanged(
    text: str, permitted: list[str], require_protocol: bool
) -> None:
    links = _Links(
        linkify(text, permitted_protocols=permitted, require_protocol=require_protocol)
    )
    assert links.text == text
    assert links.tags == ["a", "/a"] * len(links.links)
    for attrs, shown in zip(links.links, links.link_texts):
        assert set(attrs) == {"href"}
        assert attrs["href"] in (shown, "http://" + shown)


class TestLinearTime:
    """Inputs that a quadratic implementation would take minutes on.

    These assert only the result; a regression shows up as the suite's
    per-test timeout, not as a timing assertion.
    """

    def test_many_closing_brackets(self) -> None:
        text = "http://x.com/a" + ")" * 200_000
        assert linkify(text) == '<a href="http://x.com/a">http://x.com/a</a>' + ")" * 200_000

    def test_many_trailing_dots(self) -> None:
        text = "http://x.com/a" + "." * 200_000
        assert linkify(text) == '<a href="http://x.com/a">http://x.com/a</a>' + "." * 200_000

    def test_many_unpermitted_schemes(self) -> None:
        text = "a:" * 100_000 + "b"
        assert linkify(text) == text

    def test_many_words_with_a_scheme_before_a_url(self) -> None:
        text = "note:http://x.com " * 50_000
        link = '<a href="http://x.com">http://x.com</a>'
        assert linkify(text) == f"note:{link} " * 50_000

    def test_long_run_of_unpermitted_schemes_is_one_word(self) -> None:
        text = "note:" * 50_000 + "http://x.com"
        assert linkify(text) == text

    def test_many_dotted_labels(self) -> None:
        text = "/" + "a." * 100_000
        assert linkify(text) == text
